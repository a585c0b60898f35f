//! A fan-out route as compiled from its `fan_out` parts.

pub use gatehouse_config::table::fan_out::{FanOut, Part};

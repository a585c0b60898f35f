//! A fan-out route as compiled from its `fan_out` parts (defined in `gatehouse-config`).

pub use gatehouse_config::table::fan_out::{FanOut, Part};

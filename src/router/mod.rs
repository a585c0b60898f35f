//! The route phase: matching a normalised request against the compiled table
//! ([`RouteIndex`]).

pub mod matcher;

pub use matcher::{Matched, RouteIndex};

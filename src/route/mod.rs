//! Routing: path normalisation, route matching, and the upstream path.

pub mod lifecycle;
pub mod lookalike;
pub mod matcher;
pub mod normalise;
pub mod rewrite;

pub use matcher::{host_for_matching, Matched, RouteIndex};
pub use normalise::{check_double_encoding, normalise, PathError};
pub use rewrite::upstream_path;

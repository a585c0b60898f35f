//! Routing: path normalisation, route matching, and the upstream path.

pub mod matcher;
pub mod normalise;
pub mod rewrite;

pub use matcher::{host_for_matching, Matched, RouteIndex};
pub use normalise::{normalise, PathError};
pub use rewrite::upstream_path;

//! Routes and request-target rules, pure: the compiled [`compiled::Route`], path
//! normalisation, the host for matching, look-alike paths, the upstream path's rewrite and
//! API lifecycle stages, and the index that matches a request to a route ([`RouteIndex`]).

pub mod compiled;
pub mod host;
pub mod lifecycle;
pub use gatehouse_shared::lookalike;
pub mod matcher;
pub mod normalise;
pub mod rewrite;

pub use host::host_for_matching;
pub use matcher::{Matched, RouteIndex};
pub use normalise::{check_double_encoding, normalise, PathError};
pub use rewrite::{upstream_path, RewritePart};

//! Request-target rules, pure and table-free: path normalisation, the host for matching,
//! look-alike paths, the upstream path's rewrite and API lifecycle stages. Matching against the route table is
//! [`crate::router`].

pub mod host;
pub mod lifecycle;
pub mod lookalike;
pub mod normalise;
pub mod rewrite;

pub use host::host_for_matching;
pub use normalise::{check_double_encoding, normalise, PathError};
pub use rewrite::{upstream_path, RewritePart};

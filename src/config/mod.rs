//! Configuration. `schema`, `check` and `emit` run at build time (from `build.rs`);
//! at runtime only the generated [`TABLE`] and the types in [`table`] exist.

pub mod table;

pub use table::*;

use crate::route::RouteIndex;

/// The index over the compiled routes/ table, built on first use in this isolate.
pub fn index() -> &'static RouteIndex {
    static INDEX: std::sync::OnceLock<RouteIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| RouteIndex::new(TABLE.routes, TABLE.paths))
}

#[allow(unused_imports)] // the generated table names them
use crate::metrics::LogMode;
use crate::policy::Policy;
#[allow(unused_imports)]
use crate::validation::{Additional, Node};

include!(concat!(env!("OUT_DIR"), "/routes.rs"));

//! Configuration. `build.rs` checks routes/ with `gatehouse-config` and writes [`TABLE`] as
//! Rust (`$OUT_DIR/routes.rs`, included here): values of the table's types, which
//! `gatehouse-config` defines and [`table`] re-exports. Nothing is parsed at runtime.

pub mod table;

pub use table::*;

use crate::route::RouteIndex;

/// The index over the compiled routes/ table, built on first use in this isolate.
pub fn index() -> &'static RouteIndex {
    static INDEX: std::sync::OnceLock<RouteIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| RouteIndex::new(TABLE.routes, TABLE.paths))
}

include!(concat!(env!("OUT_DIR"), "/routes.rs"));

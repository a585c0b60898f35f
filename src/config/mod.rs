//! Configuration. `schema`, `check` and `emit` run at build time (from `build.rs`);
//! at runtime only the generated [`TABLE`] and the types in [`table`] exist.

pub mod table;

pub use table::*;

#[allow(unused_imports)] // the generated table names them
use crate::metrics::LogMode;
use crate::policy::Policy;
#[allow(unused_imports)]
use crate::validation::{Additional, Node};

include!(concat!(env!("OUT_DIR"), "/routes.rs"));

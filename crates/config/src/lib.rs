//! The build-time checker: routes/ -> [`check::Checked`] -> Rust source ([`emit`]).
//!
//! A crate of its own, used by Gatehouse's `build.rs` (a build-dependency), the native config
//! tests and the benchmark; the worker never contains it. The rules the runtime applies too
//! come from `gatehouse-shared`. Modules, leaves first: [`lex`] (durations, URLs, names), [`schema`] (the TOML shapes),
//! [`rust`] (source literals), [`kinds`] (one module per policy kind), [`check`] (files,
//! upstreams, routes, placement rules) and [`emit`].

pub use gatehouse_shared::{
    alg, dates as calendar, jwk, origin, origin_syntax, pointer, reserved, template,
};

pub mod check;
pub mod dates;
pub mod emit;
pub mod fan_out;
pub mod json_schema;
pub mod kinds;
pub mod lex;
pub mod lifecycle;
pub mod limits;
pub mod openapi;
pub mod rust;
pub mod schema;
pub mod upstream;

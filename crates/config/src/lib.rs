//! The compiled table's types, and the build-time checker: routes/ -> [`check::Checked`] ->
//! the table's values -> Rust source ([`emit`]).
//!
//! The worker depends on this crate without features, for [`table`] and each kind's runtime
//! type in [`kinds`]: plain `&'static` data, whose behaviour the worker adds. With `check`
//! (the default) it is also the checker, used by Gatehouse's `build.rs` (a build-dependency),
//! the native config tests and the benchmark; `bake` writes a checked table as Rust source.
//! Neither feature reaches the wasm. The rules the runtime applies too come from
//! `gatehouse-shared`. Checker modules, leaves first: [`lex`] (durations, URLs, names),
//! [`schema`] (the TOML shapes), [`leak`] (owned values as the table's `&'static` data),
//! [`kinds`] (one module per policy kind), [`check`] (files, upstreams, routes, placement
//! rules), [`locate`] (each error's file:line:column) and [`emit`] (the table's values, and with `bake` their Rust source).

pub use gatehouse_shared::{
    alg, dates as calendar, jwk, origin, origin_syntax, pointer, reserved, template,
};

pub mod kinds;
pub mod table;

#[cfg(feature = "check")]
pub mod check;
#[cfg(feature = "check")]
pub mod config_reference;
#[cfg(feature = "check")]
pub mod config_schema;
#[cfg(feature = "check")]
pub mod dates;
#[cfg(feature = "check")]
pub mod emit;
#[cfg(feature = "check")]
pub mod fan_out;
#[cfg(feature = "check")]
pub mod files;
#[cfg(feature = "check")]
pub mod graphql_call;
#[cfg(feature = "check")]
pub mod grpc;
#[cfg(feature = "check")]
pub mod json_schema;
#[cfg(feature = "check")]
pub mod leak;
#[cfg(feature = "check")]
pub mod lex;
#[cfg(feature = "check")]
pub mod lifecycle;
#[cfg(feature = "check")]
pub mod limits;
#[cfg(feature = "check")]
pub mod locate;
#[cfg(feature = "check")]
pub mod openapi;
#[cfg(feature = "check")]
pub mod openapi_ext;
#[cfg(feature = "check")]
pub mod openapi_llm;
#[cfg(feature = "check")]
pub mod openapi_proto;
#[cfg(feature = "check")]
pub mod protos;
#[cfg(feature = "check")]
pub mod schema;
#[cfg(feature = "check")]
pub mod upstream;

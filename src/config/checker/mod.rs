//! The build-time checker: routes/ -> [`check::Checked`] -> Rust source ([`emit`]).
//!
//! Compiled by `build.rs`, the native config tests and the benchmark through one
//! `#[path = ".../src/config/checker/mod.rs"] mod checker;` line; the worker never contains
//! it. Modules, leaves first: [`lex`] (durations, URLs, names), [`schema`] (the TOML shapes),
//! [`rust`] (source literals), [`kinds`] (one module per policy kind), [`check`] (files,
//! upstreams, routes, placement rules) and [`emit`].

#![allow(dead_code)] // each includer uses a different part

#[path = "../../auth/alg.rs"]
pub mod alg;
#[path = "../../http/dates.rs"]
pub mod calendar;
pub mod check;
pub mod dates;
pub mod emit;
pub mod fan_out;
pub mod json_schema;
#[path = "../../auth/jwk.rs"]
pub mod jwk;
pub mod kinds;
pub mod lex;
pub mod lifecycle;
pub mod limits;
pub mod openapi;
#[path = "../../upstream/origin.rs"]
pub mod origin;
#[path = "../../http/origin_syntax.rs"]
pub mod origin_syntax;
#[path = "../../transform/pointer.rs"]
pub mod pointer;
#[path = "../../http/reserved.rs"]
pub mod reserved;
pub mod rust;
pub mod schema;
#[path = "../../aggregate/template.rs"]
pub mod template;
pub mod upstream;

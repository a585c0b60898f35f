//! Pure rules Gatehouse applies twice: when `gatehouse-config` checks routes/ at build time,
//! and when the worker serves a request. One copy, so what the build accepted is what the
//! runtime understands: JOSE algorithms ([`alg`]) and keys ([`jwk`]), UTC civil dates
//! ([`dates`]), upstream base URLs ([`origin`]), CORS origin syntax ([`origin_syntax`]), what
//! a path parameter may hold ([`path_param`]), JSON Pointers ([`pointer`]), the header names
//! the gateway reserves ([`reserved`]) and fan-out path templates ([`template`]).
//!
//! Every function is `#[inline]`: the worker's crate then compiles them with its own copies
//! of the generic code they use (string search, hashing, collections) instead of a second
//! set across the crate boundary, which measured 1.4 KiB more gzip wasm.

pub mod alg;
pub mod dates;
pub mod jwk;
pub mod lookalike;
pub mod origin;
pub mod origin_syntax;
pub mod path_param;
pub mod pointer;
pub mod reserved;
pub mod template;

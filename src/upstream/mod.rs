//! Upstreams: resolving an upstream's base URL, and sending the request to it.

pub mod resolve;

#[cfg(target_arch = "wasm32")]
pub mod forward;

pub use resolve::resolve_origin;

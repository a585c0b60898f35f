//! Upstreams: resolving an upstream's base URL, and sending the request to it.

pub mod balance;
pub mod breaker;
pub mod canary;
pub mod fallback;
pub mod hash_key;
pub mod pool;
pub mod replay;
pub mod resolve;
pub mod retry;
pub mod send;
pub mod settings;

#[cfg(target_arch = "wasm32")]
pub mod forward;

pub use gatehouse_shared::origin;
pub use resolve::resolve_origin;

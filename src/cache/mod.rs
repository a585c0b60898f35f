//! Response caching, pure parts: reading `Cache-Control` ([`control`]), deciding what may be
//! stored and for how long ([`freshness`]), building keys ([`key`]) and the `Cache-Status`
//! header ([`status`]). The `cache` policy (`crate::policy::cache`) and the Cache API adapter
//! use these; nothing here does I/O.

#[cfg(target_arch = "wasm32")]
pub mod adapter;
pub mod conditional;
pub mod control;
#[cfg(target_arch = "wasm32")]
pub mod flow;
pub mod freshness;
pub mod generations;
pub mod key;
#[cfg(target_arch = "wasm32")]
pub mod refresh;
pub mod status;

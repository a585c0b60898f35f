//! Response caching. Pure parts, tested natively: reading `Cache-Control` ([`control`]),
//! deciding what may be stored and for how long ([`freshness`]), a stored entry's windows,
//! `Vary` record and tags ([`entry`]), keys ([`key`]) and the `Cache-Status` header
//! ([`status`]). The wasm-only `adapter` (Cache API), `flow` (the policy's phases) and
//! `refresh` (background revalidation) use them.

#[cfg(target_arch = "wasm32")]
pub mod adapter;
pub mod conditional;
pub mod control;
pub mod entry;
#[cfg(target_arch = "wasm32")]
pub mod flow;
pub mod freshness;
pub mod generations;
pub mod invalidate;
pub mod key;
pub mod range;
#[cfg(target_arch = "wasm32")]
pub mod refresh;
#[cfg(target_arch = "wasm32")]
pub mod stale;
pub mod status;

//! Response caching. Pure parts, tested natively: reading `Cache-Control` ([`control`]),
//! deciding what may be stored and for how long ([`freshness`]), a stored entry's windows,
//! `Vary` record and tags ([`entry`]), keys ([`key`]) and the `Cache-Status` header
//! ([`status`]). The `cache` policy's phases, its Cache API adapter and background refreshes
//! use them from [`crate::policy::cache`].

pub mod conditional;
pub mod control;
pub mod entry;
pub mod freshness;
pub mod generations;
pub mod invalidate;
pub mod key;
pub mod range;
pub mod status;

//! Response caching. Pure parts, tested natively: reading `Cache-Control` ([`control`]),
//! deciding what may be stored and for how long ([`freshness`]), a stored entry's windows,
//! `Vary` record and tags ([`entry`]), keys ([`key`]) and the `Cache-Status` header
//! ([`status`]), and the decisions over them: what a stored entry is for a request
//! ([`lookup`]) and whether and how a response is stored ([`store`]), which copies the
//! isolate's hot tier keeps ([`hot`]) and which background refreshes it runs ([`refreshes`]). The `cache` policy's
//! phases, its Cache API adapter and background refreshes use them from
//! [`crate::policy::cache`].

pub mod conditional;
pub mod control;
pub mod entry;
pub mod freshness;
pub mod generations;
pub mod hot;
pub mod invalidate;
pub mod key;
pub mod lookup;
pub mod range;
pub mod refreshes;
pub mod status;
pub mod store;

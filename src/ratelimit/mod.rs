//! Rate-limit arithmetic, pure and clock-explicit: the algorithms a limiter Durable Object
//! runs on its state ([`algorithm`]), UTC calendar windows for quotas ([`calendar`]), and the
//! IETF `RateLimit-Policy` / `RateLimit` header values ([`headers`]). Nothing here does I/O;
//! all times are milliseconds since the epoch, passed in.

pub mod algorithm;
pub mod calendar;
pub mod headers;

pub use algorithm::{Algorithm, Decision, Limit, State};

//! One limit of a `rate_limit` policy and how it counts.

use gatehouse_shared::dates::Period;

/// How a limit counts.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::limit))]
pub enum Algorithm {
    /// `limit` per aligned window of `window_ms` (windows start at multiples of it).
    FixedWindow,
    /// The fixed-window count blended with the previous window's, weighted by how much of the
    /// previous window still overlaps the sliding one: smooths the burst a fixed window allows
    /// at its edges, with O(1) state.
    SlidingWindow,
    /// Up to `burst` at once, refilled at `limit` per `window_ms`.
    TokenBucket { burst: u64 },
    /// `limit` per UTC calendar day or month (quotas); `window_ms` is ignored.
    Calendar(Period),
}

/// One limit of a rate-limit policy.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::limit))]
pub struct Limit {
    pub limit: u64,
    pub window_ms: u64,
    pub algorithm: Algorithm,
}

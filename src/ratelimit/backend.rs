//! [`LimiterBackend`]: what `rate_limit` policies need from the runtime. The worker implements
//! it over the RATE_LIMITER Durable Object namespace (`crate::runtime::auth`); native tests and
//! the leased-limit simulation implement it in memory.

/// What `rate_limit` policies need from the runtime: one round trip to a limiter object.
#[allow(async_fn_in_trait)]
pub trait LimiterBackend {
    /// Sends `body` (a [`crate::ratelimit::TakeRequest`] as JSON) to the RATE_LIMITER object
    /// named `object` and returns its JSON answer; `Err` describes a failure or timeout.
    async fn limiter_take(
        &self,
        object: &str,
        body: &str,
        timeout_ms: u32,
    ) -> Result<String, String>;
    /// Waits `ms` (a request waiting for another request's lease refill or exact batch polls).
    async fn pause(&self, ms: u32);
}

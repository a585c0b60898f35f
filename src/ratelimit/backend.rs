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
    /// Waits `ms` (leased mode: a request waiting for another request's refill polls).
    async fn pause(&self, ms: u32);
    /// A one-shot wake-up made by a request about to wait for another request's limiter call
    /// (exact mode's batches, [`crate::ratelimit::batch`]): any request may call the function,
    /// once; the future then completes with `true`, or with `false` once `bound_ms` passed
    /// without it. On Workers the future is a promise made in the waiting request's own
    /// context, so the waiter resumes in its own request (its later I/O belongs to it), not
    /// in the request that woke it.
    fn signal(
        &self,
        bound_ms: u32,
    ) -> (
        Box<dyn FnOnce()>,
        impl std::future::Future<Output = bool> + 'static,
    );
}

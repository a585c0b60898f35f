//! Durable Object classes. Each is exported to the runtime from `src/entry.js` and bound in
//! `wrangler.toml`.

pub mod cache_generations;
pub mod rate_limiter;

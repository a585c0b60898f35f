//! Gatehouse: an API gateway that runs as a Cloudflare Worker.
//!
//! Routes, upstreams and policies come from the `routes/` directory, checked and compiled into
//! static tables by `build.rs` ([`config::TABLE`]). Each request flows one way through
//! `gateway.rs`: normalise and match ([`route`]) -> inbound [`policy`] steps -> [`upstream`]
//! -> outbound policy steps -> one access-log line ([`log`]). Gateway errors are
//! [`error::GatewayError`], answered as `application/problem+json`.
//!
//! Pure logic compiles natively (`cargo test`); the worker glue exists on wasm32 only.

pub mod admin;
pub mod aggregate;
pub mod auth;
pub mod cache;
pub mod config;
pub mod ctx;
pub mod error;
pub mod graphql;
pub mod grpc;
pub mod http;
pub mod json_text;
pub mod log;
pub mod metrics;
pub mod pipeline;
pub mod policy;
pub mod ratelimit;
pub mod route;
pub mod slots;
pub mod transform;
pub mod upstream;
pub mod validation;

#[cfg(target_arch = "wasm32")]
mod docs;
#[cfg(target_arch = "wasm32")]
pub mod durable;
#[cfg(target_arch = "wasm32")]
mod exchange;
#[cfg(target_arch = "wasm32")]
mod gateway;
#[cfg(target_arch = "wasm32")]
pub mod runtime;

/// `[gateway] gc_pace_slots` from the compiled table: the slots of the array `src/entry.js`
/// allocates per event to pace V8's young-generation collections (0: no pacing). entry.js
/// reads it once, at module init. docs/src/operations/gc-pacing.md.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(js_name = gcPaceSlots)]
pub fn gc_pace_slots() -> u32 {
    crate::config::TABLE.gc_pace_slots
}

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(
    req: web_sys::Request,
    env: worker::Env,
    ctx: worker::Context,
) -> worker::Result<web_sys::Response> {
    Ok(gateway::handle(req, env, ctx).await)
}

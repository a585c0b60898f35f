//! Per-request metrics and access-log control, with no I/O.
//!
//! - [`DataPoint`]: the one Workers Analytics Engine data point a request writes when
//!   `[gateway] analytics` names a dataset binding. Its layout is part of the product (the
//!   SQL queries in docs/src/operations/metrics.md read it): index 1 is the consumer (so per-consumer queries are
//!   cheap); blobs 1-11 are route, version, method, status, error slug, cache outcome,
//!   target, consumer, plan, upstream and GraphQL operation, blobs 12-14 an LLM call's provider,
//!   model and alias; doubles 1-5 are status, total ms, upstream ms, request bytes and response
//!   bytes (-1 when unknown), doubles 6-10 an LLM call's tokens in, tokens out, cost (USD), time
//!   to first token (ms) and providers tried (all 0 on other routes).
//! - [`LogMode`]: which requests get an access-log line (`log = "all" | "errors" |
//!   { sample = 0.1 }`); errors are always logged.

use crate::log::AccessLog;
use serde::Serialize;

/// Analytics Engine limits: one index of at most 96 bytes; blobs of 16 KB in all.
const MAX_INDEX: usize = 96;
const MAX_BLOB: usize = 256;

/// One Analytics Engine data point, serialised as `writeDataPoint` takes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataPoint {
    pub indexes: Vec<String>,
    pub blobs: Vec<String>,
    pub doubles: Vec<f64>,
}

/// What a request wrote besides its log line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sizes {
    /// The request's declared `Content-Length`.
    pub request_bytes: Option<u64>,
    /// The answer's declared `Content-Length`.
    pub response_bytes: Option<u64>,
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The data point for a finished request.
pub fn data_point(log: &AccessLog, plan: Option<&str>, sizes: Sizes) -> DataPoint {
    let consumer = log.consumer.as_deref().unwrap_or("");
    let blob = |s: &str| cut(s, MAX_BLOB);
    let bytes = |b: Option<u64>| b.map_or(-1.0, |b| b as f64);
    let llm = log.llm.as_ref();
    DataPoint {
        indexes: vec![cut(consumer, MAX_INDEX)],
        blobs: vec![
            blob(log.route.unwrap_or("")),
            blob(log.version.unwrap_or("")),
            blob(&log.method),
            log.status.to_string(),
            blob(log.error.unwrap_or("")),
            blob(log.cache.unwrap_or("")),
            blob(log.target.unwrap_or("")),
            blob(consumer),
            blob(plan.unwrap_or("")),
            blob(log.upstream.unwrap_or("")),
            blob(log.operation.as_deref().unwrap_or("")),
            blob(llm.map_or("", |l| l.provider)),
            blob(llm.map_or("", |l| l.model)),
            blob(llm.map_or("", |l| l.alias)),
        ],
        doubles: vec![
            f64::from(log.status),
            log.duration_ms,
            log.upstream_ms.unwrap_or(0.0),
            bytes(sizes.request_bytes),
            bytes(sizes.response_bytes),
            llm.map_or(0.0, |l| l.tokens_in as f64),
            llm.map_or(0.0, |l| l.tokens_out as f64),
            llm.and_then(|l| l.cost_usd).unwrap_or(0.0),
            llm.and_then(|l| l.ttft_ms).unwrap_or(0.0),
            llm.map_or(0.0, |l| f64::from(l.attempts)),
        ],
    }
}

pub use gatehouse_config::table::log::LogMode;

/// Whether a request is an error for logging: the gateway answered with a problem, or the
/// status is 5xx.
pub fn is_error(log: &AccessLog) -> bool {
    log.error.is_some() || log.status >= 500
}

/// Whether to write this request's log line; `draw` is uniform in [0, 1).
pub fn should_log(mode: LogMode, log: &AccessLog, draw: f64) -> bool {
    match mode {
        LogMode::All => true,
        _ if is_error(log) => true,
        LogMode::Errors => false,
        LogMode::Sample(rate) => draw < rate,
    }
}

//! Header values from draft-ietf-httpapi-ratelimit-headers (structured-field lists):
//!
//! ```text
//! RateLimit-Policy: "per-second";q=10;w=1, "daily";q=1000;w=86400
//! RateLimit: "per-second";r=7;t=1, "daily";r=993;t=52000
//! ```
//!
//! `q` quota, `w` window (seconds), `r` remaining, `t` seconds until the quota resets. A 429
//! also carries `Retry-After` (whole seconds, rounded up).

use super::Decision;

/// One limit's entry: its name (an sf-string), quota and window in seconds.
pub struct PolicyItem<'a> {
    pub name: &'a str,
    pub quota: u64,
    pub window_s: u64,
}

/// `RateLimit-Policy` for a route's limits.
pub fn policy_header(items: &[PolicyItem]) -> String {
    items
        .iter()
        .map(|i| format!("\"{}\";q={};w={}", sf_string(i.name), i.quota, i.window_s))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `RateLimit` for the decisions of the same limits, in the same order.
pub fn ratelimit_header(items: &[(&str, Decision)]) -> String {
    items
        .iter()
        .map(|(name, d)| {
            format!(
                "\"{}\";r={};t={}",
                sf_string(name),
                d.remaining,
                ceil_s(d.reset_ms)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Retry-After` seconds for a refused request: the longest wait among refusing limits.
pub fn retry_after_s(decisions: &[Decision]) -> Option<u64> {
    decisions
        .iter()
        .filter_map(|d| d.retry_after_ms)
        .max()
        .map(|ms| ceil_s(ms).max(1))
}

fn ceil_s(ms: u64) -> u64 {
    ms.div_ceil(1000)
}

/// Names come from routes/ (checked at build time); escape anyway so the value stays valid.
fn sf_string(s: &str) -> String {
    s.chars()
        .filter(|c| (' '..='~').contains(c))
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

//! The access log: one JSON line per request, written with `console.log` after the response
//! has been handed back (through `ctx.wait_until`).

use serde::Serialize;

/// One access-log line. Field names are part of the product: log pipelines parse them.
#[derive(Debug, Default, Serialize)]
pub struct AccessLog {
    /// ISO 8601, UTC, when the request arrived.
    pub timestamp: String,
    pub request_id: String,
    pub trace_id: String,
    /// The matched route id, `null` when none matched.
    pub route: Option<&'static str>,
    pub method: String,
    /// The path as received (query excluded).
    pub path: String,
    pub status: u16,
    /// The upstream name, `null` when the request never went upstream.
    pub upstream: Option<&'static str>,
    /// Total time in the worker, milliseconds.
    pub duration_ms: f64,
    /// Time waiting for the origin's response headers, milliseconds.
    pub upstream_ms: Option<f64>,
    pub client_ip: Option<String>,
    /// The problem slug when the gateway answered with an error.
    pub error: Option<&'static str>,
}

impl AccessLog {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

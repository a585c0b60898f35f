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
    /// Who authenticated: JWT `sub`, API-key consumer id, or certificate subject DN.
    pub consumer: Option<String>,
    /// The problem slug when the gateway answered with an error.
    pub error: Option<&'static str>,
    /// On cached routes: `hit`, `stored` (a miss whose answer was stored), `miss`,
    /// `revalidated` (a stale entry the origin confirmed with 304) or `stale` (served
    /// stale because the origin failed).
    pub cache: Option<&'static str>,
    /// The route's API version folder (`v1`), `null` for unversioned routes.
    pub version: Option<&'static str>,
    /// Whether the route's version is deprecated (its answers carry `Deprecation`).
    pub deprecated: bool,
    /// The pool target that answered (its URL template as written, or
    /// `service:<BINDING>`); `null` when the request never went upstream.
    pub target: Option<&'static str>,
    /// Attempts sent upstream (more than 1 after retries).
    pub attempts: Option<u32>,
    /// The fallback that answered (an upstream name or `static`).
    pub fallback: Option<FellBack>,
    /// On an upstream with a canary: whether this request went to the canary.
    pub canary: Option<bool>,
    /// On a fan-out route: the optional parts that failed and were left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<Vec<&'static str>>,
    /// On a route with a `graphql` policy: the operation's name (`,`-joined for a batch; an
    /// anonymous operation is empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// Every attempt, when there was more than one or the last failed: which target, how it
    /// ended (a status, `connect`, `timeout` or `open`) and how long it took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tries: Option<Vec<Try>>,
    /// On a route with an `llm` policy: the model call's figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmLog>,
}

/// An `llm` call in the access log (and the Analytics Engine data point).
#[derive(Debug, Default, Clone, Serialize)]
pub struct LlmLog {
    /// The alias the client named.
    pub alias: &'static str,
    /// The provider upstream that answered (or was tried last).
    pub provider: &'static str,
    /// The provider's model.
    pub model: &'static str,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// USD at the configured prices; `null` when the model has no price.
    pub cost_usd: Option<f64>,
    /// From the request's arrival to the first content of the answer (streams: the first
    /// token's chunk; otherwise the whole answer), milliseconds.
    pub ttft_ms: Option<f64>,
    /// Providers called (more than 1 after a fallback).
    pub attempts: u32,
    /// Whether the answer came from the exact-match cache (no provider call, no tokens).
    pub cached: bool,
    pub stream: bool,
    /// OpenAI's `finish_reason` of the answer, when it gave one.
    pub finish: Option<String>,
    /// How a stream ended early: `client` (the client went away), `provider` (the provider's
    /// stream broke or sent an error), `null` when it completed.
    pub cut: Option<&'static str>,
}

/// Which fallback answered a request: logged (and sent in `x-gatehouse-fallback`) as the
/// fallback upstream's name, or `static` for a fixed answer. An upstream may itself be named
/// `static`; the variant, not the label, tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FellBack {
    Upstream(&'static str),
    Static,
}

impl FellBack {
    /// Its log label.
    pub fn label(self) -> &'static str {
        match self {
            FellBack::Upstream(name) => name,
            FellBack::Static => "static",
        }
    }
}

impl Serialize for FellBack {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

/// One attempt upstream, for the access log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Try {
    pub target: &'static str,
    pub outcome: String,
    pub ms: f64,
}

/// Milliseconds since the Unix epoch as `2026-11-22T21:53:40.069Z` (UTC). Computed here rather
/// than with a JS `Date` per request.
pub fn iso8601(ms: f64) -> String {
    let ms = if ms.is_finite() && ms > 0.0 {
        ms as i64
    } else {
        0
    };
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (year, month, day) = crate::http::dates::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

impl AccessLog {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

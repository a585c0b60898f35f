//! What crosses the gateway: hop-by-hop stripping both ways, gateway-owned headers replaced
//! on the way in, request id and timing added on the way out.

use super::HeaderEdit;
use crate::http::reserved::{GATEWAY_OWNED_HEADERS, HOP_BY_HOP_HEADERS};

/// Header names the gateway passes to JS besides the reserved ones (the client-IP header it
/// reads, and those it sets on problem responses); interned once per isolate.
pub const OTHER_HEADER_NAMES: &[&str] =
    &["cf-connecting-ip", "content-type", "cache-control", "allow"];

/// Facts about the client connection the origin is told through `X-Forwarded-*`.
pub struct Forwarded<'a> {
    /// From `CF-Connecting-IP`, which Cloudflare's edge sets and clients cannot.
    pub client_ip: Option<&'a str>,
    /// `http` or `https`, from the request URL.
    pub proto: &'a str,
    /// The `Host` the client asked for.
    pub host: &'a str,
    pub request_id: &'a str,
    /// `traceparent` for the upstream call (the gateway's span).
    pub traceparent: &'a str,
    /// Forwarded only with a valid inbound `traceparent`.
    pub tracestate: Option<&'a str>,
    /// Keep `Upgrade` and `Connection: upgrade` (WebSocket routes).
    pub websocket: bool,
}

/// Removes hop-by-hop headers and any header `Connection` names. With `keep_upgrade`, a
/// WebSocket handshake (`Connection: upgrade`, `Upgrade: websocket`) survives.
pub fn strip_hop_by_hop<H: HeaderEdit>(h: &mut H, keep_upgrade: bool) {
    let upgrade = if keep_upgrade { h.get("upgrade") } else { None };
    if let Some(listed) = h.get("connection") {
        for name in listed.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !name.eq_ignore_ascii_case("upgrade") {
                h.remove(name);
            }
        }
    }
    h.remove_all(HOP_BY_HOP_HEADERS);
    if let Some(u) = upgrade {
        h.set("upgrade", &u);
        h.set("connection", "upgrade");
    }
}

/// Turns the client's headers into the origin's: hop-by-hop and gateway-owned headers go,
/// then the gateway's own forwarding, request-id and trace headers are set.
pub fn prepare_upstream_request<H: HeaderEdit>(h: &mut H, f: &Forwarded) {
    strip_hop_by_hop(h, f.websocket);
    h.remove_all(GATEWAY_OWNED_HEADERS);
    if let Some(ip) = f.client_ip {
        h.set("x-forwarded-for", ip);
    }
    h.set("x-forwarded-proto", f.proto);
    h.set("x-forwarded-host", f.host);
    h.set("x-request-id", f.request_id);
    h.set("traceparent", f.traceparent);
    if let Some(ts) = f.tracestate {
        h.set("tracestate", ts);
    }
}

/// Turns the origin's response headers into the client's: hop-by-hop headers go, the request
/// id and a `Server-Timing` with gateway and upstream milliseconds are added.
pub fn prepare_downstream_response<H: HeaderEdit>(
    h: &mut H,
    request_id: &str,
    gateway_ms: f64,
    upstream_ms: f64,
) {
    strip_hop_by_hop(h, false);
    h.set("x-request-id", request_id);
    h.set(
        "server-timing",
        &server_timing(gateway_ms, Some(upstream_ms)),
    );
}

/// `gateway;dur=1.2, upstream;dur=30`. The gateway figure excludes upstream time.
pub fn server_timing(gateway_ms: f64, upstream_ms: Option<f64>) -> String {
    match upstream_ms {
        Some(u) => format!(
            "gateway;dur={}, upstream;dur={}",
            round(gateway_ms),
            round(u)
        ),
        None => format!("gateway;dur={}", round(gateway_ms)),
    }
}

fn round(ms: f64) -> f64 {
    (ms.max(0.0) * 10.0).round() / 10.0
}

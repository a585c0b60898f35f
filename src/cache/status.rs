//! The `Cache-Status` response header (RFC 9211), with this cache's name first.

/// The cache's name in `Cache-Status`.
pub const CACHE_NAME: &str = "Gatehouse";

/// What happened to one request at this cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Served from cache; `ttl_s` is how much freshness it has left.
    Hit { ttl_s: u64 },
    /// Sent to the origin: `fwd` is why (`uri-miss`, `vary-miss`, `stale`, `bypass`,
    /// `method`), `fwd_status` what it answered, and whether the answer was stored (else
    /// `detail` says why not).
    Forwarded {
        fwd: &'static str,
        fwd_status: u16,
        stored: bool,
        detail: Option<&'static str>,
    },
}

/// The header value, e.g. `Gatehouse; hit; ttl=42` or `Gatehouse; fwd=uri-miss; fwd-status=200; stored`.
pub fn header(o: &Outcome) -> String {
    match o {
        Outcome::Hit { ttl_s } => format!("{CACHE_NAME}; hit; ttl={ttl_s}"),
        Outcome::Forwarded {
            fwd,
            fwd_status,
            stored,
            detail,
        } => {
            let mut s = format!("{CACHE_NAME}; fwd={fwd}; fwd-status={fwd_status}");
            if *stored {
                s.push_str("; stored");
            }
            if let Some(d) = detail {
                s.push_str("; detail=");
                s.push_str(d);
            }
            s
        }
    }
}

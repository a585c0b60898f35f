//! The `Cache-Status` response header (RFC 9211), with this cache's name first.

/// The cache's name in `Cache-Status`.
pub const CACHE_NAME: &str = "Gatehouse";

/// What happened to one request at this cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Served from cache; `ttl_s` is how much freshness it has left; `memory` when from the
    /// isolate's hot tier rather than the Cache API (`detail=memory`).
    Hit { ttl_s: u64, memory: bool },
    /// Sent to the origin: `fwd` is why (`uri-miss`, `vary-miss`, `stale`, `bypass`,
    /// `method`), `fwd_status` what it answered, and whether the answer was stored (else
    /// `detail` says why not).
    Forwarded {
        fwd: &'static str,
        fwd_status: u16,
        stored: bool,
        detail: Option<&'static str>,
    },
    /// A stale entry served at once while it is refreshed in the background
    /// (`stale-while-revalidate`); `ttl_s` is negative: how long ago it went stale.
    StaleWhileRevalidate { ttl_s: i64 },
    /// A stale entry served because the origin failed (`stale-if-error`): `fwd_status` is its
    /// answer, 502 for none.
    StaleIfError { fwd_status: u16 },
    /// The purge counters could not be read, so the cache was bypassed.
    Bypass { fwd_status: u16 },
}

/// The header value, e.g. `Gatehouse; hit; ttl=42` or `Gatehouse; fwd=uri-miss; fwd-status=200; stored`.
pub fn header(o: &Outcome) -> String {
    match o {
        Outcome::Hit {
            ttl_s,
            memory: false,
        } => format!("{CACHE_NAME}; hit; ttl={ttl_s}"),
        Outcome::Hit {
            ttl_s,
            memory: true,
        } => format!("{CACHE_NAME}; hit; ttl={ttl_s}; detail=memory"),
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
        Outcome::StaleWhileRevalidate { ttl_s } => {
            format!("{CACHE_NAME}; hit; ttl={ttl_s}; detail=stale-while-revalidate")
        }
        Outcome::StaleIfError { fwd_status } => {
            format!("{CACHE_NAME}; fwd=stale; fwd-status={fwd_status}; detail=stale-if-error")
        }
        Outcome::Bypass { fwd_status } => format!(
            "{CACHE_NAME}; fwd=bypass; fwd-status={fwd_status}; detail=purge-counters-unavailable"
        ),
    }
}

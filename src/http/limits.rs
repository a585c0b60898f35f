//! Request limits. The gateway's own, on every request: the request target's length (414,
//! [`check_target`], before routing) and the header fields' total size (431,
//! [`MAX_HEADER_BYTES`]). A route's, checked as soon as the route is known (before any
//! policy): the number of header fields (431), the body's media type (415) and its declared
//! size (413). A body without `Content-Length` is counted while it streams
//! (`runtime::limit_body`).

/// The longest request target (path, `?` and query, as received) the gateway accepts: longer
/// ones are 414 `uri-too-long` before routing, so no route, policy or origin ever handles
/// them. (Cloudflare itself refuses URLs over 16 KB; origins often refuse 8 KB.)
pub const MAX_TARGET_BYTES: usize = 8 * 1024;

/// The most bytes of request header fields (names and values) the gateway accepts in all:
/// more is 431 `request-headers-too-large`, never forwarded. (The runtime itself refuses
/// heads over 128 KB before the Worker runs.)
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// A limit the request is over; [`crate::error::GatewayError`] answers each with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exceeded {
    /// More header fields than `max_headers` (431).
    TooManyHeaders { count: usize, max: u32 },
    /// Header fields of more than [`MAX_HEADER_BYTES`] in all (431).
    HeadersTooLarge { bytes: usize, max: usize },
    /// A request target longer than [`MAX_TARGET_BYTES`] (414).
    UriTooLong { bytes: usize, max: usize },
    /// A body whose media type is not in `content_types` (415).
    UnsupportedMediaType {
        got: Option<String>,
        accepted: &'static [&'static str],
    },
    /// A declared body larger than `max_body` (413).
    PayloadTooLarge { limit: u64 },
}

pub use gatehouse_config::table::http::Limits;

/// What the limits look at.
pub struct RequestFacts<'a> {
    pub method: &'a str,
    /// The header fields: how many and their size in all.
    pub headers: HeaderTally,
    pub content_type: Option<&'a str>,
    pub content_length: Option<&'a str>,
    pub chunked: bool,
}

impl RequestFacts<'_> {
    /// Facts for a route without limits: only the header tally matters.
    pub fn head_only(headers: HeaderTally) -> RequestFacts<'static> {
        RequestFacts {
            method: "GET",
            headers,
            content_type: None,
            content_length: None,
            chunked: false,
        }
    }

    /// Whether the request carries a body: a method that can, with a positive length or a
    /// chunked body.
    pub fn has_body(&self) -> bool {
        let declared = self
            .content_length
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0);
        !matches!(self.method, "GET" | "HEAD") && (declared || self.chunked)
    }
}

/// Whether media type `content_type` (parameters ignored) is one of `accepted` (`type/*`
/// accepts the whole type).
pub fn accepts(accepted: &[&str], content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    accepted.iter().any(|a| match a.strip_suffix("/*") {
        Some(kind) => essence
            .split_once('/')
            .is_some_and(|(t, s)| t == kind && !s.is_empty()),
        None => essence == *a,
    })
}

/// The request's header fields as counted at the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderTally {
    /// Within [`MAX_HEADER_BYTES`] in all: this many fields.
    Count(usize),
    /// Over [`MAX_HEADER_BYTES`]: this many bytes (counting stopped there).
    TooLarge(usize),
}

impl HeaderTally {
    /// The tally the runtime's `headerTally` returns: the field count, or minus the bytes
    /// when they are over [`MAX_HEADER_BYTES`].
    pub fn from_runtime(n: f64) -> HeaderTally {
        if n < 0.0 {
            HeaderTally::TooLarge(-n as usize)
        } else {
            HeaderTally::Count(n as usize)
        }
    }
}

/// The gateway's bound on the request target: `path` and `query` (without its `?`) as
/// received.
pub fn check_target(path: &str, query: Option<&str>) -> Result<(), Exceeded> {
    let bytes = path.len() + query.map_or(0, |q| q.len() + 1);
    if bytes > MAX_TARGET_BYTES {
        return Err(Exceeded::UriTooLong {
            bytes,
            max: MAX_TARGET_BYTES,
        });
    }
    Ok(())
}

/// Checks the limits that can be decided from the request head: the gateway's header size,
/// then the route's.
pub fn check(l: &Limits, r: &RequestFacts<'_>) -> Result<(), Exceeded> {
    match (r.headers, l.max_headers) {
        (HeaderTally::TooLarge(bytes), _) => {
            return Err(Exceeded::HeadersTooLarge {
                bytes,
                max: MAX_HEADER_BYTES,
            })
        }
        (HeaderTally::Count(count), Some(max)) if count > max as usize => {
            return Err(Exceeded::TooManyHeaders { count, max });
        }
        _ => {}
    }
    if !r.has_body() {
        return Ok(());
    }
    if !l.content_types.is_empty()
        && !r
            .content_type
            .is_some_and(|ct| accepts(l.content_types, ct))
    {
        return Err(Exceeded::UnsupportedMediaType {
            got: r.content_type.map(str::to_string),
            accepted: l.content_types,
        });
    }
    if let Some(max) = l.max_body {
        let declared = r.content_length.and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > max) {
            return Err(Exceeded::PayloadTooLarge { limit: max });
        }
    }
    Ok(())
}

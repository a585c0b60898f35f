//! A route's request limits, checked as soon as the route is known (before any policy): the
//! number of header fields (431), the body's media type (415) and its declared size (413).
//! A body without `Content-Length` is counted while it streams (`runtime::limit_body`).

/// A limit the request is over; [`crate::error::GatewayError`] answers each with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exceeded {
    /// More header fields than `max_headers` (431).
    TooManyHeaders { count: usize, max: u32 },
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
    /// `None` when not counted (no `max_headers`).
    pub header_count: Option<usize>,
    pub content_type: Option<&'a str>,
    pub content_length: Option<&'a str>,
    pub chunked: bool,
}

impl RequestFacts<'_> {
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

/// Checks the limits that can be decided from the request head.
pub fn check(l: &Limits, r: &RequestFacts<'_>) -> Result<(), Exceeded> {
    if let (Some(max), Some(count)) = (l.max_headers, r.header_count) {
        if count > max as usize {
            return Err(Exceeded::TooManyHeaders { count, max });
        }
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

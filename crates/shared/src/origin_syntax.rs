//! The syntax of a serialised web origin, `scheme "://" host [":" port]` (lower-case, http or
//! https, a DNS-style host, no path or user info). One definition for both sides of CORS: the
//! `cors` policy matching a request's `Origin` header, and the build-time checker reading
//! `origins`, so a configured origin is always one the
//! runtime can match. A leaf: no imports.

/// `(scheme, host, port)` of a lower-case origin, or `None` when it is not one.
#[inline]
pub fn split(origin: &str) -> Option<(&str, &str, Option<&str>)> {
    let (scheme, rest) = origin.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
        _ => (rest, None),
    };
    is_host(host).then_some((scheme, host, port))
}

/// Letters, digits, `-` and `.`; no empty label.
#[inline]
pub fn is_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && !host.contains("..")
}

//! `Range` requests answered from a stored complete response (RFC 9110 section 14), with no
//! I/O.
//!
//! Contract: one `bytes` range is served as 206 (`first-last`, `first-` or the suffix `-n`;
//! a `last` past the end is clamped); a range that starts past the end, a zero suffix, or
//! any range of an empty body is 416. Anything else - another unit, several ranges, a
//! malformed header - is ignored and the whole response served (a server may always ignore
//! `Range`). `If-Range` lets the range through only when it names the stored response with a
//! strong validator: its strong `ETag`, or exactly its `Last-Modified` date.

use super::freshness::parse_http_date;

/// What a `Range` header asks of a body `len` bytes long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranged {
    /// Serve the whole response.
    Full,
    /// Serve bytes `start..=end` as 206.
    Part { start: u64, end: u64 },
    /// 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// Reads a `Range` header against a body of `len` bytes.
pub fn select(range: &str, len: u64) -> Ranged {
    let Some((unit, set)) = range.trim().split_once('=') else {
        return Ranged::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || set.contains(',') {
        return Ranged::Full;
    }
    let Some((first, last)) = set.trim().split_once('-') else {
        return Ranged::Full;
    };
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim(), last.trim()) {
        ("", suffix) => match number(suffix) {
            None => Ranged::Full,
            Some(0) => Ranged::Unsatisfiable,
            Some(_) if len == 0 => Ranged::Unsatisfiable,
            Some(n) => Ranged::Part {
                start: len.saturating_sub(n),
                end: len - 1,
            },
        },
        (first, last) => {
            let Some(start) = number(first) else {
                return Ranged::Full;
            };
            let end = match last {
                "" => u64::MAX,
                l => match number(l) {
                    Some(e) if e >= start => e,
                    _ => return Ranged::Full,
                },
            };
            if start >= len {
                return Ranged::Unsatisfiable;
            }
            Ranged::Part {
                start,
                end: end.min(len - 1),
            }
        }
    }
}

/// Whether `If-Range` lets the range through for a stored response with these validators.
pub fn if_range_holds(if_range: &str, etag: Option<&str>, last_modified: Option<&str>) -> bool {
    let if_range = if_range.trim();
    if if_range.starts_with('"') || if_range.starts_with("W/") {
        return etag.is_some_and(|e| !e.starts_with("W/") && e.trim() == if_range);
    }
    match (
        parse_http_date(if_range),
        last_modified.and_then(parse_http_date),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

//! Conditional requests answered from cache (RFC 9110 13.1.2, 13.1.3, 13.2.2):
//! `If-None-Match` with weak comparison; otherwise `If-Modified-Since`, true when the stored
//! response was last modified at or before the date given (its `Last-Modified`, else its
//! `Date`). Dates may be in any of the three HTTP date formats; an unreadable date, or one in
//! the future, is ignored.

use super::freshness::parse_http_date;

/// Whether a stored response with `etag` / `last_modified` / `date` answers the request with
/// 304. `now_s` is the current time, seconds since the epoch.
pub fn not_modified(
    if_none_match: Option<&str>,
    if_modified_since: Option<&str>,
    etag: Option<&str>,
    last_modified: Option<&str>,
    date: Option<&str>,
    now_s: i64,
) -> bool {
    if let Some(inm) = if_none_match {
        let Some(etag) = etag else { return false };
        let weak = |t: &str| t.trim().trim_start_matches("W/").to_string();
        return inm.trim() == "*" || inm.split(',').any(|t| weak(t) == weak(etag));
    }
    let Some(since) = if_modified_since.and_then(parse_http_date) else {
        return false;
    };
    if since > now_s {
        return false;
    }
    let modified = last_modified.or(date).and_then(parse_http_date);
    modified.is_some_and(|m| m <= since)
}

//! Conditional requests answered from cache (RFC 9110 13.1.2, 13.1.3): `If-None-Match` with
//! weak comparison, else `If-Modified-Since` against `Last-Modified` (compared as written:
//! an origin's `Last-Modified` echoed back by the client matches exactly).

/// Whether a stored response with `etag` / `last_modified` answers the request with 304.
pub fn not_modified(
    if_none_match: Option<&str>,
    if_modified_since: Option<&str>,
    etag: Option<&str>,
    last_modified: Option<&str>,
) -> bool {
    if let Some(inm) = if_none_match {
        let Some(etag) = etag else { return false };
        let weak = |t: &str| t.trim().trim_start_matches("W/").to_string();
        return inm.trim() == "*" || inm.split(',').any(|t| weak(t) == weak(etag));
    }
    match (if_modified_since, last_modified) {
        (Some(ims), Some(lm)) => ims.trim() == lm.trim(),
        _ => false,
    }
}

//! Finding a credential in a request: a bearer token in `Authorization`, a cookie, a query
//! parameter, or an API-key header. Each returns the raw credential or why there is none.

use super::Denied;
use crate::http::params;

/// The token of `Authorization: Bearer <token>`. The scheme is case-insensitive (RFC 7235);
/// the token must be one RFC 6750 `b64token`. `Ok(None)` when the header is absent or uses
/// another scheme, so a cookie or query parameter may still supply the token.
pub fn bearer(authorization: Option<&str>) -> Result<Option<&str>, Denied> {
    let Some(value) = authorization else {
        return Ok(None);
    };
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    let (scheme, rest) = match value.find([' ', '\t']) {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, ""),
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() || !is_b64token(token) {
        return Err(Denied::BadAuthorizationHeader);
    }
    Ok(Some(token))
}

/// RFC 6750 `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub fn is_b64token(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// The value of cookie `name` from a `Cookie` header; `Ambiguous` if it is set twice.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Result<Option<&'a str>, Denied> {
    params::cookie(header, name).map_err(|_| Denied::Ambiguous)
}

/// The raw (not percent-decoded) value of query parameter `name`; `Ambiguous` if repeated.
pub fn query_param<'a>(query: Option<&'a str>, name: &str) -> Result<Option<&'a str>, Denied> {
    params::query_param(query, name).map_err(|_| Denied::Ambiguous)
}

/// A header value that must hold one credential: the runtime joins repeated headers with
/// ", ", so a comma means the client sent it twice.
pub fn single_header(value: Option<&str>) -> Result<Option<&str>, Denied> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.contains(',') => Err(Denied::Ambiguous),
        Some(v) => Ok(Some(v)),
    }
}

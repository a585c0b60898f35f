//! Named values read from a request: a query parameter, a cookie. A name given twice is
//! [`Repeated`]: which of two values a gateway and its origin would each pick is not safe to
//! guess, so callers refuse it.

/// A parameter or cookie given more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeated;

/// The raw (not percent-decoded) value of query parameter `name` in `query` (without `?`).
/// An empty value counts as absent.
pub fn query_param<'a>(query: Option<&'a str>, name: &str) -> Result<Option<&'a str>, Repeated> {
    let Some(query) = query else {
        return Ok(None);
    };
    single(query.split('&').filter_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    }))
}

/// The value of cookie `name` from a `Cookie` header (quotes removed). An empty value counts
/// as absent.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Result<Option<&'a str>, Repeated> {
    let Some(header) = header else {
        return Ok(None);
    };
    single(header.split(';').filter_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k.trim() == name).then(|| v.trim().trim_matches('"'))
    }))
}

fn single<'a>(mut values: impl Iterator<Item = &'a str>) -> Result<Option<&'a str>, Repeated> {
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(_), Some(_)) => Err(Repeated),
        (Some(""), None) => Ok(None),
        (Some(v), None) => Ok(Some(v)),
    }
}

/// A path parameter's value, percent-decoded, when it names no other path: a `/` it holds
/// must have come as a `/` (a `{*catch_all}` spans segments; `%2F` never makes one), and no
/// segment of it may be `.` or `..` or hold a control character. `None` otherwise (or when the
/// escapes are not UTF-8).
pub fn path_param(raw: &str) -> Option<String> {
    if raw.to_ascii_lowercase().contains("%2f") {
        return None;
    }
    let value = crate::aggregate::template::decode(raw, false)?;
    let bad_segment = value.split('/').any(|s| s == "." || s == "..");
    let control = value.chars().any(|c| c.is_control());
    (!bad_segment && !control).then_some(value)
}

/// A query string's pairs, percent-decoded (`+` as a space), repeats kept in order; `Err` is
/// the first pair that is not valid percent-encoding (or not UTF-8 once decoded).
pub fn decoded_pairs(query: &str) -> Result<Vec<(String, String)>, &str> {
    let decode = crate::aggregate::template::decode;
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match (decode(k, true), decode(v, true)) {
                (Some(k), Some(v)) => Ok((k, v)),
                _ => Err(pair),
            }
        })
        .collect()
}

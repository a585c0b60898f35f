//! Shared lexing for the checker: durations, URL templates, names, tokens and path
//! characters. A leaf: it imports nothing from the other checker modules but `origin` (and
//! the table's `Method`).

use super::origin::Origin;
use crate::table::http::Method;

/// Methods a route may list. `GET` routes also answer `HEAD`.
pub const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// The table's [`Method`] for a name in [`METHODS`] (any case); `None` for any other.
pub fn method(name: &str) -> Option<Method> {
    Method::from_name(&name.to_ascii_uppercase())
}

/// A piece of an upstream URL template.
#[derive(Debug, Clone, PartialEq)]
pub enum UrlPart {
    Lit(String),
    Var(String),
}

/// Splits `http://${HOST}/api` into literal and variable parts and checks what it can now:
/// a fully literal URL completely, a URL with variables once they resolve at runtime.
pub fn check_url(url: &str) -> Result<Vec<UrlPart>, String> {
    let mut parts = Vec::new();
    let mut rest = url;
    while let Some(start) = rest.find("${") {
        if start > 0 {
            parts.push(UrlPart::Lit(rest[..start].to_string()));
        }
        let Some(end) = rest[start..].find('}') else {
            return Err(format!("upstream URL `{url}`: unclosed `${{`"));
        };
        let var = &rest[start + 2..start + end];
        let var_ok = !var.is_empty()
            && var
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            && !var.as_bytes()[0].is_ascii_digit();
        if !var_ok {
            return Err(format!(
                "upstream URL `{url}`: `${{{var}}}` is not a valid variable name (A-Z, 0-9, _)"
            ));
        }
        parts.push(UrlPart::Var(var.to_string()));
        rest = &rest[start + end + 1..];
    }
    if !rest.is_empty() {
        parts.push(UrlPart::Lit(rest.to_string()));
    }
    if parts.iter().all(|p| matches!(p, UrlPart::Lit(_))) {
        Origin::parse(url)?;
    }
    Ok(parts)
}

/// `"250ms"`, `"5s"`, `"2m"` -> milliseconds. Zero is rejected.
pub fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let err =
        || format!("invalid duration \"{s}\": use a whole number with ms, s, m or h, e.g. \"5s\"");
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (num, unit) = s.split_at(digits);
    let n: u64 = num.parse().map_err(|_| err())?;
    let ms = match unit {
        "ms" => n,
        "s" => n.checked_mul(1000).ok_or_else(err)?,
        "m" => n.checked_mul(60_000).ok_or_else(err)?,
        "h" => n.checked_mul(3_600_000).ok_or_else(err)?,
        _ => return Err(err()),
    };
    if ms == 0 {
        return Err(format!(
            "invalid duration \"{s}\": must be greater than zero"
        ));
    }
    Ok(ms)
}

/// Characters allowed unescaped in a normalised path segment (RFC 3986 pchar minus '%').
pub fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/".contains(c)
}

/// [`is_name`] as a JSON Schema `pattern`.
pub const NAME_PATTERN: &str = "^[a-z0-9_-]+$";

/// [`is_route_id`] as a JSON Schema `pattern`.
pub const ROUTE_ID_PATTERN: &str = "^[A-Za-z0-9._-]+$";

/// What [`parse_duration_ms`] reads, as a JSON Schema `pattern`, plus the bare `"0"` that
/// [`seconds`] takes where zero turns a setting off (never stricter than either; zero and
/// overflow are left to the checker).
pub const DURATION_PATTERN: &str = "^([0-9]+(ms|s|m|h)|0)$";

/// What [`byte_size`] reads, as a JSON Schema `pattern` (bounds are left to the checker).
pub const BYTE_SIZE_PATTERN: &str = "^[0-9]+(KiB|MiB|GiB)?$";

/// Names of upstreams, policies and plans: `a-z 0-9 - _`.
pub fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

pub fn is_route_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// RFC 9110 token characters.
pub fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// serde/toml messages end with a newline or carry "in `...`" noise; keep one clean line.
pub fn clean(msg: &str) -> String {
    msg.trim().replace('\n', " ")
}

/// A wrangler variable, secret or binding name: `A-Z a-z 0-9 _`.
pub fn is_var_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A duration setting in whole seconds: `default` when absent, `0` for `"0s"` when
/// `allow_zero`, else [`parse_duration_ms`] rounded down to seconds.
pub fn seconds(key: &str, v: Option<&str>, default: u32, allow_zero: bool) -> Result<u32, String> {
    match v {
        None => Ok(default),
        Some("0s" | "0") if allow_zero => Ok(0),
        Some(s) => parse_duration_ms(s)
            .map(|ms| (ms / 1000).min(u32::MAX as u64) as u32)
            .map_err(|e| format!("{key}: {e}")),
    }
}

/// `"64KiB"`, `"1MiB"`, `"1GiB"` or a number of bytes, from 1 to `max`.
pub fn byte_size(key: &str, s: &str, max: u64) -> Result<u64, String> {
    let err = || format!("{key} \"{s}\": use bytes, KiB, MiB or GiB, e.g. \"1MiB\"");
    let (digits, unit) = s.split_at(s.bytes().take_while(u8::is_ascii_digit).count());
    let n: u64 = digits.parse().map_err(|_| err())?;
    let bytes = match unit {
        "" => Some(n),
        "KiB" => n.checked_mul(1 << 10),
        "MiB" => n.checked_mul(1 << 20),
        "GiB" => n.checked_mul(1 << 30),
        _ => return Err(err()),
    }
    .ok_or_else(err)?;
    if bytes == 0 || bytes > max {
        let shown = if max.is_multiple_of(1 << 20) {
            format!("{}MiB", max >> 20)
        } else {
            format!("{max} bytes")
        };
        return Err(format!("{key} \"{s}\": must be 1 byte to {shown}"));
    }
    Ok(bytes)
}

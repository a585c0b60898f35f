//! Request path normalisation: the one canonical form used both to match a route and to build
//! the path sent upstream, so no encoding of a path can match one route yet reach the origin as
//! another.
//!
//! Contract, applied to the percent-encoded path the runtime hands the worker:
//! - `%XX` escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded; other escapes
//!   are kept with upper-case hex. Decoding happens exactly once.
//! - Rejected with 400: `%2F` (an encoded `/`), `\` or `%5C`, escapes of control characters
//!   (`%00`-`%1F`, `%7F`), malformed escapes (`%`, `%G1`), raw control, space or non-ASCII bytes,
//!   `..` that would climb above `/`, and `.;`/`..;` segments (path parameters some servlet
//!   containers treat as dot segments).
//! - Empty segments (`//`) are dropped, `.` segments are dropped, `..` removes the previous
//!   segment (after decoding, so `%2e%2e` counts), and a trailing `/` is dropped (except `/`).

use std::borrow::Cow;

/// Why a path was rejected. Each becomes a 400 problem+json.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    NotAbsolute,
    EncodedSlash,
    Backslash,
    ControlCharacter,
    MalformedEscape,
    AboveRoot,
    DotSegmentParameter,
}

impl PathError {
    /// A sentence for the problem's `detail`.
    pub fn describe(self) -> &'static str {
        match self {
            PathError::NotAbsolute => "the request path must start with '/'",
            PathError::EncodedSlash => "the request path contains an encoded slash (%2F)",
            PathError::Backslash => "the request path contains a backslash",
            PathError::ControlCharacter => {
                "the request path contains a control, space or non-ASCII character"
            }
            PathError::MalformedEscape => "the request path contains a malformed percent-escape",
            PathError::AboveRoot => "the request path climbs above the root with '..'",
            PathError::DotSegmentParameter => "the request path contains a '.;' or '..;' segment",
        }
    }
}

/// Returns the canonical form of `raw` (borrowed when it already is canonical).
pub fn normalise(raw: &str) -> Result<Cow<'_, str>, PathError> {
    if !raw.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    if is_canonical(raw) {
        return Ok(Cow::Borrowed(raw));
    }
    let decoded = decode_unreserved(raw)?;
    let mut segments: Vec<&str> = Vec::new();
    for seg in decoded.split('/') {
        let before_params = seg.split(';').next().unwrap_or("");
        if seg.contains(';') && (before_params == "." || before_params == "..") {
            return Err(PathError::DotSegmentParameter);
        }
        match seg {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(PathError::AboveRoot);
                }
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(decoded.len());
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(Cow::Owned(out))
}

/// Fast path: plain characters, no escapes, no empty/dot segments, no trailing slash.
fn is_canonical(p: &str) -> bool {
    let b = p.as_bytes();
    if p.len() > 1 && b[b.len() - 1] == b'/' {
        return false;
    }
    let plain = b
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&c));
    plain && !p.contains("//") && !p.contains("/.")
}

fn decode_unreserved(raw: &str) -> Result<String, PathError> {
    let b = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'%' => {
                let hex = b.get(i + 1..i + 3).ok_or(PathError::MalformedEscape)?;
                let v = (hex_val(hex[0]).ok_or(PathError::MalformedEscape)? << 4)
                    | hex_val(hex[1]).ok_or(PathError::MalformedEscape)?;
                match v {
                    b'/' => return Err(PathError::EncodedSlash),
                    b'\\' => return Err(PathError::Backslash),
                    0..=0x1f | 0x7f => return Err(PathError::ControlCharacter),
                    v if v.is_ascii_alphanumeric() || b"-._~".contains(&v) => out.push(v as char),
                    v => {
                        out.push('%');
                        out.push(HEX[(v >> 4) as usize] as char);
                        out.push(HEX[(v & 15) as usize] as char);
                    }
                }
                i += 3;
            }
            b'\\' => return Err(PathError::Backslash),
            0..=0x20 | 0x7f..=0xff => return Err(PathError::ControlCharacter),
            _ => {
                out.push(c as char);
                i += 1;
            }
        }
    }
    Ok(out)
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

//! Request path normalisation: the one canonical form used both to match a route and to build
//! the path sent upstream, so no encoding of a path can match one route yet reach the origin as
//! another - not even an origin that decodes leniently.
//!
//! Contract, applied to the percent-encoded path the runtime hands the worker:
//! - `%XX` escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded; other escapes
//!   are kept with upper-case hex. Decoding happens exactly once.
//! - Escapes of bytes `%80`-`%FF` must spell valid UTF-8 (RFC 3629): no overlong forms such as
//!   `%C0%AE` (a lenient decoder's `.`), no surrogates, no lone continuation bytes, no
//!   `%F5`-`%FF`. The characters they spell must not be ones that servers fold into `.`, `/`,
//!   `\`, `;` or `%` ([`super::lookalike`], e.g. the fullwidth full stop `%EF%BC%8E`).
//! - Rejected with 400: `%2F` (an encoded `/`), `\` or `%5C`, escapes of control characters
//!   (`%00`-`%1F`, `%7F`), malformed escapes (`%`, `%G1`), raw control, space or non-ASCII bytes,
//!   `..` that would climb above `/`, dot segments with path parameters (`..;x`, `.%3Bx`: some
//!   servlet containers strip the parameter and see a dot segment), and segments made only of
//!   dots and spaces other than `.` and `..` (`...`, `..%20`: Windows servers trim them to `..`).
//! - Empty segments (`//`) are dropped, `.` segments are dropped, `..` removes the previous
//!   segment (after decoding, so `%2e%2e` counts), and a trailing `/` is dropped (except `/`).
//!
//! Double encoding (`%252e`) survives normalisation as text; [`check_double_encoding`] is the
//! separate, per-route rule that refuses it.

use super::lookalike::is_lookalike;
use gatehouse_shared::path_param::{disguised_dot_segment, lenient_reading};
use std::borrow::Cow;

/// Why a path was rejected. Each becomes a 400 problem+json `bad-path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathError {
    /// The path does not start with `/`.
    NotAbsolute,
    /// `%2F`: a slash inside a segment.
    EncodedSlash,
    /// `\` or `%5C`, which some servers read as `/`.
    Backslash,
    /// A control, space or non-ASCII byte written raw, or an escaped control character.
    ControlCharacter,
    /// `%` not followed by two hex digits.
    MalformedEscape,
    /// Escaped bytes that are not valid UTF-8 (overlong forms, surrogates, stray bytes).
    InvalidUtf8,
    /// An escaped character that servers fold into `.`, `/`, `\`, `;` or `%`.
    LookalikeCharacter,
    /// `..` climbs above `/`.
    AboveRoot,
    /// `.` or `..` followed by a path parameter (`..;x`, `..%3Bx`).
    DotSegmentParameter,
    /// A segment of only dots and spaces other than `.` and `..` (`...`, `..%20`).
    DotSegmentVariant,
    /// An escaped `%` whose next characters spell an escape that a server decoding twice would
    /// read as a path trick (`%252e`, `%252F`, `%255c`, `%2525`, `%25C0%25AE`, ...).
    DoubleEncoding,
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
            PathError::InvalidUtf8 => {
                "the request path contains percent-escapes that are not valid UTF-8 (overlong, surrogate or stray bytes)"
            }
            PathError::LookalikeCharacter => {
                "the request path contains a character that servers may read as '.', '/', '\\', ';' or '%'"
            }
            PathError::AboveRoot => "the request path climbs above the root with '..'",
            PathError::DotSegmentParameter => {
                "the request path contains a '.' or '..' segment followed by ';', '?' or '#'"
            }
            PathError::DotSegmentVariant => {
                "the request path contains a segment of only dots and spaces"
            }
            PathError::DoubleEncoding => {
                "the request path contains a double-encoded '.', '/', '\\', '%' or non-ASCII escape"
            }
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
        match seg {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(PathError::AboveRoot);
                }
            }
            s => {
                check_segment(s)?;
                segments.push(s)
            }
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

/// Refuses double encoding in a normalised path: an escaped `%` (`%25`) followed by two hex
/// digits is an escape a server decoding twice will decode again. The path with those escapes
/// decoded once more must itself be canonical (so `%252e`, `%252F`, `%255c`, `%25C0%25AE`,
/// `..%253B` and `..%2520` are refused) and must not escape `%` again (`%2525`); `%25u` is
/// refused too (IIS reads `%u002e` as `.`). `%25` before anything else is a literal `%` and
/// stays. Routes with `allow_double_encoding = true` skip this check.
pub fn check_double_encoding(path: &str) -> Result<(), PathError> {
    if !path.contains("%25") {
        return Ok(());
    }
    let b = path.as_bytes();
    let mut once = String::with_capacity(path.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"%25") {
            match (b.get(i + 3), b.get(i + 4)) {
                (Some(b'u' | b'U'), _) => return Err(PathError::DoubleEncoding),
                (Some(&h), Some(&l)) if hex_val(h).is_some() && hex_val(l).is_some() => {
                    if h == b'2' && l == b'5' {
                        return Err(PathError::DoubleEncoding);
                    }
                    once.push('%');
                    i += 3;
                    continue;
                }
                _ => {}
            }
        }
        once.push(b[i] as char);
        i += 1;
    }
    match normalise(&once) {
        Ok(again) if again == once => Ok(()),
        _ => Err(PathError::DoubleEncoding),
    }
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

/// Refuses a segment that a lenient server would read as a dot segment: `.` or `..` with path
/// parameters (`;` written raw or as `%3B`) or cut by a query or fragment it decodes (`%3F`,
/// `%23`), and runs of only dots and spaces (`%20`).
fn check_segment(seg: &str) -> Result<(), PathError> {
    if !seg.starts_with(['.', '%']) {
        return Ok(());
    }
    match disguised_dot_segment(&lenient_reading(seg)) {
        Some(true) => Err(PathError::DotSegmentParameter),
        Some(false) => Err(PathError::DotSegmentVariant),
        None => Ok(()),
    }
}

fn decode_unreserved(raw: &str) -> Result<String, PathError> {
    let b = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'%' => {
                let v = escape_at(b, i)?;
                match v {
                    b'/' => return Err(PathError::EncodedSlash),
                    b'\\' => return Err(PathError::Backslash),
                    0..=0x1f | 0x7f => return Err(PathError::ControlCharacter),
                    0x80.. => {
                        i = push_utf8_run(b, i, &mut out)?;
                        continue;
                    }
                    v if v.is_ascii_alphanumeric() || b"-._~".contains(&v) => out.push(v as char),
                    v => push_escape(&mut out, v),
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

/// The byte spelled by the escape at `b[i]` (which is `%`).
fn escape_at(b: &[u8], i: usize) -> Result<u8, PathError> {
    let hex = b.get(i + 1..i + 3).ok_or(PathError::MalformedEscape)?;
    Ok((hex_val(hex[0]).ok_or(PathError::MalformedEscape)? << 4)
        | hex_val(hex[1]).ok_or(PathError::MalformedEscape)?)
}

/// Reads the run of consecutive escapes of bytes >= 0x80 starting at `b[i]`, checks that it is
/// valid UTF-8 without lookalike characters, and writes it re-escaped in upper case. Returns
/// the index after the run.
fn push_utf8_run(b: &[u8], mut i: usize, out: &mut String) -> Result<usize, PathError> {
    let mut bytes = Vec::with_capacity(4);
    while b.get(i) == Some(&b'%') {
        let v = escape_at(b, i)?;
        if v < 0x80 {
            break;
        }
        bytes.push(v);
        i += 3;
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| PathError::InvalidUtf8)?;
    if text.chars().any(is_lookalike) {
        return Err(PathError::LookalikeCharacter);
    }
    for v in bytes {
        push_escape(out, v);
    }
    Ok(i)
}

fn push_escape(out: &mut String, v: u8) {
    out.push('%');
    out.push(HEX[(v >> 4) as usize] as char);
    out.push(HEX[(v & 15) as usize] as char);
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

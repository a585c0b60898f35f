//! A fan-out part's path template: literal text with `{param}` (a route parameter),
//! `{query.<name>}` (a query parameter of the client's request), `{claim.<name>}` (a claim of
//! the authenticated identity) and `{consumer.id}`. Each value is decoded as the client
//! meant it ([`decode`]) and percent-encoded once, every byte
//! but `A-Z a-z 0-9 - . _ ~`, so it can never add a path segment, a query or a parameter. In
//! the path, a value that an origin could read as a dot segment is refused ([`is_safe_in_path`]).

use std::borrow::Cow;

/// One piece of a template (borrowed in the compiled table, owned when just parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_shared::template))]
pub enum Piece {
    Lit(Cow<'static, str>),
    Param(Cow<'static, str>),
    Query(Cow<'static, str>),
    Claim(Cow<'static, str>),
    ConsumerId,
}

/// Parses a template; `Err` names the problem (for the build-time checker).
#[inline]
pub fn parse(template: &str) -> Result<Vec<Piece>, String> {
    if !template.starts_with('/') {
        return Err(format!("path \"{template}\" must start with /"));
    }
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Piece::Lit(rest[..open].to_string().into()));
        }
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("path \"{template}\": unclosed {{"));
        };
        let name = &rest[open + 1..open + close];
        let ok = |n: &str| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        let piece = match name.split_once('.') {
            Some(("query", n)) if ok(n) => Piece::Query(n.to_string().into()),
            Some(("claim", n)) if ok(n) => Piece::Claim(n.to_string().into()),
            _ if name == "consumer.id" => Piece::ConsumerId,
            None if ok(name) => Piece::Param(name.to_string().into()),
            _ => {
                return Err(format!(
                    "path \"{template}\": {{{name}}} is not a {{param}}, {{query.<name>}}, {{claim.<name>}} or {{consumer.id}}"
                ))
            }
        };
        out.push(piece);
        rest = &rest[open + close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("path \"{template}\": unopened }}"));
    }
    if !rest.is_empty() {
        out.push(Piece::Lit(rest.to_string().into()));
    }
    Ok(out)
}

/// What the values come from.
pub trait Values {
    fn param(&self, name: &str) -> Option<String>;
    fn query(&self, name: &str) -> Option<String>;
    fn claim(&self, name: &str) -> Option<String>;
    fn consumer_id(&self) -> Option<String>;
}

/// The part's path and query, or the name of the first value that is missing or refused
/// (the part then fails: it is never sent with a hole in it).
#[inline]
pub fn render(pieces: &[Piece], values: &impl Values) -> Result<String, String> {
    let mut out = String::new();
    let mut in_query = false;
    for piece in pieces {
        let (value, what) = match piece {
            Piece::Lit(l) => {
                out.push_str(l);
                in_query |= l.contains('?');
                continue;
            }
            Piece::Param(n) => (values.param(n), n.to_string()),
            Piece::Query(n) => (values.query(n), format!("query.{n}")),
            Piece::Claim(n) => (values.claim(n), format!("claim.{n}")),
            Piece::ConsumerId => (values.consumer_id(), "consumer.id".to_string()),
        };
        let value = value.ok_or(what.clone())?;
        if !in_query && !is_safe_in_path(&value) {
            return Err(what);
        }
        escape_into(&mut out, &value);
    }
    Ok(out)
}

/// Whether a (decoded) value, escaped, is safe in a path: no origin, however leniently it reads
/// paths, can read a dot segment in it (the rules `route::normalise` applies to request paths): not empty, no control
/// character, no character servers fold into `.`, `/`, `\`, `;` or `%`
/// ([`crate::lookalike`]), no `%` that a server decoding twice would decode (`%2e`, `%u002e`),
/// and, split at `/` or `\` (an origin may decode `%2F` itself), no part that is only dots
/// and spaces before any `;` parameter (`..`, `...`, `.. `, `..;x`: servers trim or strip
/// those to a dot segment), and no `?` or `#` (an origin that decodes the path and parses it
/// again would end the path there).
pub fn is_safe_in_path(value: &str) -> bool {
    let b = value.as_bytes();
    let double_escape = b.iter().enumerate().any(|(i, &c)| {
        c == b'%'
            && match (b.get(i + 1), b.get(i + 2)) {
                (Some(b'u' | b'U'), _) => true,
                (Some(h), Some(l)) => h.is_ascii_hexdigit() && l.is_ascii_hexdigit(),
                _ => false,
            }
    });
    let dot_segment = value.split(['/', '\\']).any(|seg| {
        let name = seg.split(';').next().unwrap_or_default();
        name.contains('.') && name.bytes().all(|c| c == b'.' || c == b' ')
    });
    // `?` and `#` arrive percent-encoded, but an origin that decodes the path and parses it
    // again would end the path there: the value would cut its place short.
    !value.is_empty()
        && !value.contains(['?', '#'])
        && !double_escape
        && !dot_segment
        && !value
            .chars()
            .any(|c| c.is_control() || crate::lookalike::is_lookalike(c))
}

/// A value as the client meant it: `%XX` decoded (and `+` as a space in a query value),
/// so [`render`] encodes it exactly once. `None` when the escapes are malformed or do not
/// decode to UTF-8 (the part then fails rather than guess).
#[inline]
pub fn decode(raw: &str, plus_is_space: bool) -> Option<String> {
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |c: Option<&u8>| c.and_then(|&c| (c as char).to_digit(16));
                let (h, l) = (hex(b.get(i + 1))?, hex(b.get(i + 2))?);
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes every byte but `A-Z a-z 0-9 - . _ ~`.
#[inline]
fn escape_into(out: &mut String, value: &str) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

//! `Cache-Control` (RFC 9111 section 5.2) as a shared cache reads it.
//!
//! Contract: directive names are case-insensitive; values may be tokens or quoted strings
//! (commas inside quotes do not split); unknown directives are ignored; a delta-seconds value
//! that does not parse makes the directive count as 0 (stale), never as "forever". Qualified
//! `private="..."` and `no-cache="..."` are treated as their unqualified forms (conservative:
//! nothing stored, always revalidated).

/// The directives a gateway cache acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheControl {
    pub max_age: Option<u64>,
    pub s_maxage: Option<u64>,
    pub no_store: bool,
    pub no_cache: bool,
    pub private: bool,
    pub public: bool,
    pub must_revalidate: bool,
    pub proxy_revalidate: bool,
    pub stale_while_revalidate: Option<u64>,
    pub stale_if_error: Option<u64>,
    /// Request only: `only-if-cached`.
    pub only_if_cached: bool,
}

/// Parses a (possibly comma-joined) `Cache-Control` value.
pub fn parse(value: &str) -> CacheControl {
    let mut cc = CacheControl::default();
    for (name, arg) in directives(value) {
        let seconds = || arg.as_deref().map(delta_seconds).unwrap_or(0);
        match name.as_str() {
            "max-age" => cc.max_age = Some(cc.max_age.map_or(seconds(), |m| m.min(seconds()))),
            "s-maxage" => cc.s_maxage = Some(cc.s_maxage.map_or(seconds(), |m| m.min(seconds()))),
            "no-store" => cc.no_store = true,
            "no-cache" => cc.no_cache = true,
            "private" => cc.private = true,
            "public" => cc.public = true,
            "must-revalidate" => cc.must_revalidate = true,
            "proxy-revalidate" => cc.proxy_revalidate = true,
            "stale-while-revalidate" => cc.stale_while_revalidate = Some(seconds()),
            "stale-if-error" => cc.stale_if_error = Some(seconds()),
            "only-if-cached" => cc.only_if_cached = true,
            _ => {}
        }
    }
    cc
}

/// Delta-seconds: digits only; anything else is 0. Huge values saturate (RFC 9111 1.2.2).
fn delta_seconds(s: &str) -> u64 {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    s.parse().unwrap_or(u64::from(u32::MAX))
}

/// Splits into (lower-case name, unquoted argument) pairs.
fn directives(value: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // name
        while i < bytes.len() && (bytes[i] == b',' || bytes[i].is_ascii_whitespace()) {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i] != b'=' && bytes[i] != b',' {
            i += 1;
        }
        let name = value[start..i].trim().to_ascii_lowercase();
        let mut arg = None;
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            if i < bytes.len() && bytes[i] == b'"' {
                i += 1;
                let mut s = String::new();
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' && i + 1 < bytes.len() {
                        i += 1;
                    }
                    s.push(bytes[i] as char);
                    i += 1;
                }
                i += 1; // closing quote
                while i < bytes.len() && bytes[i] != b',' {
                    i += 1;
                }
                arg = Some(s);
            } else {
                let s = i;
                while i < bytes.len() && bytes[i] != b',' {
                    i += 1;
                }
                arg = Some(value[s..i].trim().to_string());
            }
        }
        if !name.is_empty() {
            out.push((name, arg));
        }
    }
    out
}

/// The targeted field RFC 9213 defines for every CDN.
pub const CDN_CACHE_CONTROL: &str = "cdn-cache-control";

/// The directives this cache acts on (RFC 9213 section 2.2): the first of its targeted fields
/// (`targeted`, in target-list order: the gateway's own field, then `CDN-Cache-Control`) that
/// is present and valid, else `Cache-Control`. A targeted field that is used replaces
/// `Cache-Control` entirely for the cache's decisions; clients still get `Cache-Control`.
pub fn effective<'a>(
    targeted: impl IntoIterator<Item = Option<&'a str>>,
    cache_control: Option<&str>,
) -> CacheControl {
    targeted
        .into_iter()
        .flatten()
        .find(|v| is_valid_targeted(v))
        .map_or_else(|| parse(cache_control.unwrap_or_default()), parse)
}

/// Directives whose value is a number of seconds.
const DELTA_DIRECTIVES: &[&str] = &[
    "max-age",
    "s-maxage",
    "stale-while-revalidate",
    "stale-if-error",
];

/// Whether a targeted field's value is usable: a non-empty list whose members are each a
/// lower-case key (`a-z 0-9 _ - . *`, starting with a letter or `*`) with an optional
/// `=value` (a token or a quoted string; an Integer of at most 15 digits for the directives
/// that take seconds, so `max-age="60"` or `max-age=-1` makes the whole field invalid). RFC 9213 fields are Structured Field dictionaries;
/// an invalid one is ignored as if absent.
pub fn is_valid_targeted(value: &str) -> bool {
    let mut members = 0;
    for member in split_members(value) {
        let member = member.trim();
        let (key, arg) = match member.split_once('=') {
            Some((k, a)) => (k, Some(a)),
            None => (member, None),
        };
        let key_ok = key
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'*')
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.*".contains(&b));
        // The directives with a number take an Integer (a quoted "60" is a String: the
        // wrong type makes the field invalid).
        let integer =
            |a: &str| (1..=15).contains(&a.len()) && a.bytes().all(|b| b.is_ascii_digit());
        let arg_ok = match arg {
            None => true,
            Some(a) if DELTA_DIRECTIVES.contains(&key) => integer(a),
            Some(a) => {
                (a.len() >= 2 && a.starts_with('"') && a.ends_with('"'))
                    || (!a.is_empty() && a.bytes().all(|b| b.is_ascii_graphic() && b != b'"'))
            }
        };
        if !key_ok || !arg_ok {
            return false;
        }
        members += 1;
    }
    members > 0
}

/// Splits at commas outside quoted strings.
fn split_members(value: &str) -> Vec<&str> {
    let (mut out, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (i, b) in value.bytes().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&value[start..]);
    out
}

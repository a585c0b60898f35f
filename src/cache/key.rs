//! Cache keys. A key is built from what decides the origin's answer and nothing else:
//! the route, the host, the normalised path, the query (parameters filtered by the route's
//! allow or deny list, then sorted), the request headers the route keys on, the partition
//! (the consumer on protected routes, unless shared), the purge generation and, behind a
//! canary split, the side. Parts are
//! length-prefixed, so no value can be crafted to look like another split; the key is then
//! hashed (SHA-256) into the URL used with the Cache API.

use sha2::{Digest, Sha256};

pub use gatehouse_config::table::cache_key::QueryRule;

fn keeps(rule: &QueryRule, name: &str) -> bool {
    match rule {
        QueryRule::All => true,
        QueryRule::Allow(names) => names.contains(&name),
        QueryRule::Deny(names) => !names.contains(&name),
    }
}

/// The query as the key sees it: empty pairs dropped, unreserved `%XX` escapes decoded and
/// other escapes upper-cased (as in path normalisation), filtered by `rule`, sorted by name
/// then value. `None` when nothing is left.
pub fn canonical_query(query: Option<&str>, rule: QueryRule) -> Option<String> {
    let mut pairs: Vec<(String, String)> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (canonical_escapes(n), canonical_escapes(v))
        })
        .filter(|(n, _)| keeps(&rule, n))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    pairs.sort();
    let joined: Vec<String> = pairs
        .into_iter()
        .map(|(n, v)| if v.is_empty() { n } else { format!("{n}={v}") })
        .collect();
    Some(joined.join("&"))
}

/// Decodes `%XX` of unreserved characters, upper-cases the hex of the rest; a malformed `%`
/// is kept as `%25`.
fn canonical_escapes(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |c: u8| (c as char).to_digit(16);
            match (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    let c = (h * 16 + l) as u8;
                    if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
                        out.push(c as char);
                    } else {
                        out.push_str(&format!("%{c:02X}"));
                    }
                    i += 3;
                    continue;
                }
                _ => {
                    out.push_str("%25");
                    i += 1;
                    continue;
                }
            }
        }
        let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// A cache tag: 1-64 of `A-Z a-z 0-9 . _ : -` (routes' `tags` are checked the same way at
/// build time; other `Cache-Tag` values from origins are ignored).
pub fn is_tag(t: &str) -> bool {
    (1..=64).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:".contains(&b))
}

/// Everything a key is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyParts<'a> {
    pub route: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    /// (lower-case name, value or absent) for each header the route keys on, in config order.
    pub headers: Vec<(&'a str, Option<String>)>,
    /// The consumer (policy and subject) on a partitioned protected route; `None` for a
    /// shared entry.
    pub partition: Option<String>,
    /// The route's purge generation.
    pub generation: u64,
    /// On a route whose upstream has a canary, the side the request was given (`canary` or
    /// `stable`): one side's answers never serve the other's clients.
    pub side: Option<&'static str>,
}

impl KeyParts<'_> {
    /// The unambiguous key text: each part as `<len>:<bytes>`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut part = |s: &str| {
            out.push_str(&s.len().to_string());
            out.push(':');
            out.push_str(s);
        };
        part(self.route);
        part(self.host);
        part(self.path);
        part(self.query.unwrap_or("\u{0}none"));
        for (name, value) in &self.headers {
            part(name);
            part(value.as_deref().unwrap_or("\u{0}absent"));
        }
        part(self.partition.as_deref().unwrap_or("\u{0}shared"));
        part(&self.generation.to_string());
        if let Some(side) = self.side {
            part(side);
        }
        out
    }

    /// The URL the entry is stored under with the Cache API.
    pub fn url(&self) -> String {
        let digest = Sha256::digest(self.text().as_bytes());
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut url = String::with_capacity(96);
        url.push_str("https://cache.gatehouse.internal/");
        for b in digest {
            url.push(HEX[usize::from(b >> 4)] as char);
            url.push(HEX[usize::from(b & 15)] as char);
        }
        url
    }
}

//! Invalidation after unsafe requests (RFC 9111 section 4.4), with no I/O.
//!
//! Contract:
//! - a request whose method is not safe (anything but GET, HEAD, OPTIONS and TRACE) and that
//!   got a non-error answer (1xx-3xx) invalidates what is stored for its path, and for the
//!   paths its answer's `Location` and `Content-Location` name when they are on the same host;
//! - a path is invalidated whatever its query, whatever route, consumer, key header or
//!   variant an entry was stored under: each entry records its path's counter (a hashed
//!   bucket, [`path_key`]: the other paths in the bucket are invalidated with it) when stored
//!   and is a miss once that counter moves on;
//! - the counters live in the one `CacheGenerations` object. The isolate that ran the write
//!   sees the new counter before the writer gets its answer; every other isolate, in every
//!   data centre, within [`super::generations::REFRESH_MS`].

use crate::http::hash::stable_hash;
use crate::route::{host_for_matching, normalise};

/// Whether a request with this method invalidates (it is not safe, RFC 9110 9.2.1).
pub fn is_unsafe(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// Whether an answer with this status invalidates (non-error: 1xx to 3xx).
pub fn invalidates(status: u16) -> bool {
    status < 400
}

/// The purge-counter key of a path on a host: `p:` and its bucket (3 hex digits), from a
/// stable hash of the host (lower case, without port) and the normalised path, out of
/// [`super::generations::PATH_BUCKETS`].
pub fn path_key(host: &str, path: &str) -> String {
    let h = stable_hash(&[host_for_matching(host).as_bytes(), b"\0", path.as_bytes()]);
    format!("p:{:03x}", h % super::generations::PATH_BUCKETS)
}

/// The normalised path a `Location` or `Content-Location` value names, when it is on
/// `host`: an absolute URL with that host, a scheme-relative one, an absolute path, or a path
/// relative to `request_path`. Query and fragment are dropped. `None` for another host or a
/// path that does not normalise.
pub fn same_host_path(value: &str, host: &str, request_path: &str) -> Option<String> {
    let value = value.trim();
    let value = value.split(['?', '#']).next().unwrap_or_default();
    let after_scheme = ["https://", "http://"]
        .iter()
        .find_map(|s| {
            value
                .get(..s.len())
                .filter(|p| p.eq_ignore_ascii_case(s))
                .map(|_| &value[s.len()..])
        })
        .or_else(|| value.strip_prefix("//"));
    let path = match after_scheme {
        Some(rest) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let authority = authority.rsplit('@').next().unwrap_or_default();
            if authority.is_empty() || host_for_matching(authority) != host_for_matching(host) {
                return None;
            }
            if path.is_empty() {
                "/".to_string()
            } else {
                path.to_string()
            }
        }
        None if value.starts_with('/') => value.to_string(),
        None if value.is_empty() || value.contains(':') => return None,
        None => {
            let dir = &request_path[..request_path.rfind('/').map_or(0, |i| i + 1)];
            format!("{}{value}", if dir.is_empty() { "/" } else { dir })
        }
    };
    normalise(&path).ok().map(|p| p.into_owned())
}

/// The paths a successful unsafe request invalidates: its own, then the same-host ones its
/// answer names in `Location` and `Content-Location`, without repeats.
pub fn paths(
    host: &str,
    path: &str,
    location: Option<&str>,
    content_location: Option<&str>,
) -> Vec<String> {
    let mut out = vec![path.to_string()];
    for named in [location, content_location].into_iter().flatten() {
        if let Some(p) = same_host_path(named, host, path) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

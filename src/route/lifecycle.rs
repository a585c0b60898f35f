//! API lifecycle: a route's version, and when it is deprecated and sunset
//! (`routes/<version>/version.toml` or the route's own keys).
//!
//! Contract, at time `now`:
//! - before `deprecated` (and with no `sunset` announced), nothing is added;
//! - from `deprecated` on (or as soon as a `sunset` is set without `deprecated`), every answer
//!   carries `Deprecation: @<unix seconds>` (RFC 9745) when `deprecated` is set,
//!   `Sunset: <IMF-fixdate>` (RFC 8594) when `sunset` is set, `Link: <path>;
//!   rel="successor-version"` to the same route in the successor version when it has one, and
//!   `Link: <policy_link>; rel="deprecation"`;
//! - from `sunset` on the route answers 410 `api-sunset` (with the same headers) and the
//!   origin is not called.

pub use gatehouse_config::table::lifecycle::{Lifecycle, Versioning};

/// Where a route stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Current,
    Deprecated,
    Sunset,
}

pub fn stage(lifecycle: &Lifecycle, now_s: i64) -> Stage {
    match (lifecycle.deprecated_s, lifecycle.sunset_s) {
        (_, Some(sunset)) if now_s >= sunset => Stage::Sunset,
        (Some(deprecated), _) if now_s >= deprecated => Stage::Deprecated,
        (None, Some(_)) => Stage::Deprecated,
        _ => Stage::Current,
    }
}

/// The headers for a deprecated or sunset route answering `path` (the normalised public
/// path, which starts with `/<version>`).
pub fn headers(lifecycle: &Lifecycle, path: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(d) = lifecycle.deprecated_s {
        out.push(("deprecation", format!("@{d}")));
    }
    if let Some(s) = lifecycle.sunset_http {
        out.push(("sunset", s.to_string()));
    }
    if let Some(next) = successor_path(lifecycle, path) {
        out.push(("link", format!("<{next}>; rel=\"successor-version\"")));
    }
    if let Some(p) = lifecycle.policy_link {
        out.push(("link", format!("<{p}>; rel=\"deprecation\"")));
    }
    out
}

/// `path` moved to the successor version: `/v1/users/42` -> `/v2/users/42`.
pub fn successor_path(lifecycle: &Lifecycle, path: &str) -> Option<String> {
    let next = lifecycle.successor?;
    let rest = path
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(lifecycle.version))
        .filter(|r| r.is_empty() || r.starts_with('/'))?;
    Some(format!("/{next}{rest}"))
}

/// What version selection decided for a path.
#[derive(Debug, PartialEq, Eq)]
pub enum Selected<'a> {
    /// The path already starts with a known version, or none was asked for: match it as is.
    AsIs,
    /// Match `/<version><path>`.
    Version(&'a str),
    /// The request named a version that does not exist.
    Unknown(String),
}

/// Picks the version for `path`: the header, else the query parameter, else the default.
/// `versions` are the version folders.
pub fn select<'a>(
    versioning: &'a Versioning,
    path: &str,
    header: Option<&'a str>,
    query: Option<&'a str>,
    versions: &'a [&'static str],
) -> Selected<'a> {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    if versions.contains(&first) {
        return Selected::AsIs;
    }
    let asked = header
        .map(str::trim)
        .or_else(|| versioning.query.and_then(|name| query_value(query, name)));
    match asked {
        Some(v) => match versions.iter().find(|k| **k == v) {
            Some(k) => Selected::Version(k),
            None => Selected::Unknown(v.chars().filter(char::is_ascii_graphic).take(40).collect()),
        },
        None => versioning.default.map_or(Selected::AsIs, Selected::Version),
    }
}

/// The first value of parameter `name` in a raw query string (no decoding: versions are
/// plain names).
fn query_value<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

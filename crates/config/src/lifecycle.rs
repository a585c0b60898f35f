//! API lifecycle settings: `routes/<version>/version.toml`, and the same keys on a route
//! (the route's win). Dates are RFC 3339; `sunset` must come after `deprecated`; a
//! `successor` is a version folder other than this one, and is not retired first.

use super::dates::{imf_fixdate, parse_rfc3339};
use super::schema::{LifecycleSpec, VersioningSpec};
use std::collections::BTreeMap;

/// Lifecycle settings, parsed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LifecycleSettings {
    pub deprecated_s: Option<i64>,
    pub sunset_s: Option<i64>,
    pub successor: Option<String>,
    pub policy_link: Option<String>,
}

/// Parses one set of lifecycle keys. `versions` are the version folders, `own` this one's.
pub fn parse(
    spec: &LifecycleSpec,
    own: &str,
    versions: &[String],
) -> Result<LifecycleSettings, Vec<String>> {
    let mut errors = Vec::new();
    let mut date = |key: &str, v: &Option<String>| match v.as_deref().map(parse_rfc3339) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            errors.push(format!("{key}: {e}"));
            None
        }
    };
    let deprecated_s = date("deprecated", &spec.deprecated);
    let sunset_s = date("sunset", &spec.sunset);
    if let (Some(d), Some(s)) = (deprecated_s, sunset_s) {
        if s <= d {
            errors.push("sunset must be later than deprecated".into());
        }
    }
    if let Some(next) = &spec.successor {
        if next == own {
            errors.push(format!("successor: \"{next}\" is this version"));
        } else if !versions.contains(next) {
            errors.push(format!(
                "successor: \"{next}\" is not a version folder in routes/ (have: {})",
                versions.join(", ")
            ));
        }
    }
    if let Some(link) = &spec.policy_link {
        let ok = (link.starts_with("https://") || link.starts_with("http://"))
            && !link.contains(['>', '<', '"', ' ', '\n']);
        if !ok {
            errors.push(format!("policy_link: \"{link}\" is not an http(s) URL"));
        }
    }
    if errors.is_empty() {
        Ok(LifecycleSettings {
            deprecated_s,
            sunset_s,
            successor: spec.successor.clone(),
            policy_link: spec.policy_link.clone(),
        })
    } else {
        Err(errors)
    }
}

/// A route's settings: its own keys over its version's.
pub fn merge(version: &LifecycleSpec, route: &LifecycleSpec) -> LifecycleSpec {
    LifecycleSpec {
        deprecated: route
            .deprecated
            .clone()
            .or_else(|| version.deprecated.clone()),
        sunset: route.sunset.clone().or_else(|| version.sunset.clone()),
        successor: route
            .successor
            .clone()
            .or_else(|| version.successor.clone()),
        policy_link: route
            .policy_link
            .clone()
            .or_else(|| version.policy_link.clone()),
    }
}

/// A successor must outlive what it replaces: no sunset at or before this one's.
pub fn check_successor_outlives(
    own: &str,
    settings: &LifecycleSettings,
    by_version: &BTreeMap<String, LifecycleSettings>,
) -> Result<(), String> {
    let Some(next) = &settings.successor else {
        return Ok(());
    };
    let next_sunset = by_version.get(next).and_then(|s| s.sunset_s);
    match (next_sunset, settings.sunset_s) {
        (Some(n), Some(s)) if n <= s => Err(format!(
            "successor: \"{next}\" is sunset at or before {own} ({})",
            imf_fixdate(n)
        )),
        (Some(n), None) => Err(format!(
            "successor: \"{next}\" is itself sunset ({}) while {own} is not",
            imf_fixdate(n)
        )),
        _ => Ok(()),
    }
}

/// `[gateway] versioning`, checked: names are header/query tokens, the default exists.
pub fn check_versioning(spec: &VersioningSpec, versions: &[String]) -> Vec<String> {
    let mut errors = Vec::new();
    for (key, v) in [("header", &spec.header), ("query", &spec.query)] {
        if v.as_deref().is_some_and(|n| {
            n.is_empty()
                || !n
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }) {
            errors.push(format!("gateway.versioning: {key}: not a valid {key} name"));
        }
    }
    if spec.header.is_none() && spec.query.is_none() && spec.default.is_none() {
        errors.push("gateway.versioning: give header, query or default".into());
    }
    if let Some(d) = &spec.default {
        if !versions.contains(d) {
            errors.push(format!(
                "gateway.versioning: default: \"{d}\" is not a version folder in routes/ (have: {})",
                versions.join(", ")
            ));
        }
    }
    errors
}

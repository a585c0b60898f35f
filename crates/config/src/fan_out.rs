//! A route's `fan_out` parts: checked once into [`CheckedFanOut`], then built as the
//! table's [`FanOut`].

use super::lex::{byte_size, is_name, parse_duration_ms, METHODS};
use super::pointer;
use super::schema::PartSpec;
use super::template::{self, Piece};
use crate::leak;
use crate::table::fan_out::{FanOut, Part, Shape};
use std::collections::HashMap;

/// At most this many parts per route.
pub const MAX_PARTS: usize = 16;
const DEFAULT_MAX_BYTES: u64 = 1 << 20;

#[derive(Debug)]
pub struct CheckedPart {
    pub name: String,
    pub upstream: usize,
    pub path: Vec<Piece>,
    pub method: String,
    pub required: bool,
    /// `None`: the upstream's timeout.
    pub timeout_ms: Option<u32>,
    pub max_bytes: u64,
    pub target: Vec<String>,
    pub allow: Vec<String>,
    pub deny: Vec<String>,
    pub rename: Vec<(String, String)>,
    pub group: Option<String>,
    pub deep: bool,
    /// Lower-case credential headers the part receives from the client.
    pub credentials: Vec<String>,
}

#[derive(Debug)]
pub struct CheckedFanOut {
    pub parts: Vec<CheckedPart>,
    /// `on_partial = "fail"`: any failed part fails the whole answer.
    pub fail_on_partial: bool,
}

/// Checks the parts; `route_params` are the route path's parameter names.
pub fn parse(
    parts: &[PartSpec],
    on_partial: Option<&str>,
    route_params: &[String],
    upstreams: &HashMap<String, usize>,
    errors: &mut Vec<String>,
) -> CheckedFanOut {
    if parts.len() > MAX_PARTS {
        errors.push(format!("fan_out: at most {MAX_PARTS} parts"));
    }
    let fail_on_partial = match on_partial {
        None | Some("omit") => false,
        Some("fail") => true,
        Some(other) => {
            errors.push(format!("on_partial \"{other}\": use \"omit\" or \"fail\""));
            false
        }
    };
    let mut out = Vec::new();
    for p in parts {
        let ctx = format!("fan_out part \"{}\"", p.name);
        if !is_name(&p.name) {
            errors.push(format!("{ctx}: names use a-z, 0-9, '-' and '_'"));
        }
        if out.iter().any(|o: &CheckedPart| o.name == p.name) {
            errors.push(format!("{ctx}: the name is used twice"));
        }
        let upstream = upstreams.get(&p.upstream).copied().unwrap_or_else(|| {
            errors.push(format!(
                "{ctx}: upstream \"{}\" is not defined in routes/gateway.toml [upstreams]",
                p.upstream
            ));
            0
        });
        let path = template::parse(&p.path).unwrap_or_else(|e| {
            errors.push(format!("{ctx}: {e}"));
            Vec::new()
        });
        for piece in &path {
            if let Piece::Param(n) = piece {
                if !route_params.iter().any(|r| r == n) {
                    errors.push(format!(
                        "{ctx}: {{{n}}} is not a parameter of the route's path"
                    ));
                }
            }
        }
        let method = p.method.clone().unwrap_or_else(|| "GET".into());
        if !METHODS.contains(&method.as_str()) {
            errors.push(format!(
                "{ctx}: method \"{method}\" is not one of {}",
                METHODS.join(", ")
            ));
        }
        let timeout_ms = p
            .timeout
            .as_deref()
            .and_then(|t| match parse_duration_ms(t) {
                Ok(ms) if ms <= 10 * 60 * 1000 => Some(ms as u32),
                Ok(_) => {
                    errors.push(format!("{ctx}: timeout must be at most 10m"));
                    None
                }
                Err(e) => {
                    errors.push(format!("{ctx}: timeout: {e}"));
                    None
                }
            });
        let max_bytes = p
            .max_size
            .as_deref()
            .map_or(Ok(DEFAULT_MAX_BYTES), |s| {
                byte_size("max_size", s, 16 << 20)
            })
            .unwrap_or_else(|e| {
                errors.push(format!("{ctx}: {e}"));
                DEFAULT_MAX_BYTES
            });
        let target = match p.target.as_deref().map(pointer::parse) {
            None => Vec::new(),
            Some(Ok(t)) => t,
            Some(Err(_)) => {
                errors.push(format!(
                    "{ctx}: target \"{}\" is not a JSON Pointer",
                    p.target.as_deref().unwrap_or_default()
                ));
                Vec::new()
            }
        };
        let deep = match p.merge.as_deref() {
            None | Some("nest") => false,
            Some("deep") => true,
            Some(other) => {
                errors.push(format!(
                    "{ctx}: merge \"{other}\": use \"nest\" (default) or \"deep\""
                ));
                false
            }
        };
        if !p.allow.is_empty() && !p.deny.is_empty() {
            errors.push(format!("{ctx}: set allow or deny, not both"));
        }
        let mut credentials = Vec::new();
        for c in &p.credentials {
            let lower = c.to_ascii_lowercase();
            if lower.is_empty() || !lower.bytes().all(super::lex::is_token_byte) {
                errors.push(format!("{ctx}: credentials: \"{c}\" is not a header name"));
            } else {
                credentials.push(lower);
            }
        }
        out.push(CheckedPart {
            name: p.name.clone(),
            upstream,
            path,
            method,
            required: p.required.unwrap_or(true),
            timeout_ms,
            max_bytes,
            target,
            allow: p.allow.clone(),
            deny: p.deny.clone(),
            rename: p
                .rename
                .iter()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect(),
            group: p.group.clone(),
            deep,
            credentials,
        });
    }
    CheckedFanOut {
        parts: out,
        fail_on_partial,
    }
}

impl CheckedFanOut {
    /// The table's fan-out.
    pub fn fan_out(&self) -> FanOut {
        let parts = self
            .parts
            .iter()
            .map(|p| Part {
                upstream: p.upstream,
                // The checker's pieces own their text; baked, they are borrowed literals.
                path: leak::slice(p.path.clone()),
                method: leak::str(&p.method),
                required: p.required,
                timeout_ms: p.timeout_ms,
                max_bytes: p.max_bytes,
                credentials: leak::strs(&p.credentials),
                shape: Shape {
                    name: leak::str(&p.name),
                    target: leak::strs(&p.target),
                    allow: leak::strs(&p.allow),
                    deny: leak::strs(&p.deny),
                    rename: leak::pairs(&p.rename),
                    group: leak::opt(p.group.as_deref()),
                    deep: p.deep,
                },
            })
            .collect();
        FanOut {
            fail_on_partial: self.fail_on_partial,
            parts: leak::slice(parts),
        }
    }
}

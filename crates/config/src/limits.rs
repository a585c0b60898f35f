//! Request limits: `[gateway] limits = { ... }` and a route's `limits = { ... }` (the route's
//! keys win). Resolved per route at build time into the table's [`Limits`].

use super::lex::{byte_size, is_token_byte};
use super::schema::LimitsSpec;
use crate::leak;
use crate::table::http::Limits;

/// The largest `max_body` (Workers accept request bodies up to a few hundred MB by plan).
const MAX_BODY: u64 = 1 << 30;

/// Checked limits; `None` where not set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckedLimits {
    pub max_body: Option<u64>,
    pub max_headers: Option<u32>,
    /// Media types (lower-case essences; `type/*` allowed).
    pub content_types: Option<Vec<String>>,
}

impl CheckedLimits {
    pub fn parse(spec: &LimitsSpec) -> Result<CheckedLimits, Vec<String>> {
        let mut errors = Vec::new();
        let max_body = spec.max_body.as_deref().and_then(|s| {
            match byte_size("limits.max_body", s, MAX_BODY) {
                Ok(n) => Some(n),
                Err(e) => {
                    errors.push(e);
                    None
                }
            }
        });
        if spec.max_headers.is_some_and(|n| !(1..=1000).contains(&n)) {
            errors.push("limits.max_headers must be 1 to 1000".into());
        }
        let content_types = spec.content_types.as_ref().map(|list| {
            if list.is_empty() {
                errors.push("limits.content_types: list at least one media type".into());
            }
            list.iter()
                .map(|t| {
                    let lower = t.to_ascii_lowercase();
                    let ok = lower.split_once('/').is_some_and(|(a, b)| {
                        !a.is_empty()
                            && !b.is_empty()
                            && a.bytes().all(is_token_byte)
                            && b.bytes().all(is_token_byte)
                            && a != "*"
                    });
                    if !ok {
                        errors.push(format!(
                            "limits.content_types: \"{t}\" is not a media type (type/subtype or type/*, no parameters)"
                        ));
                    }
                    lower
                })
                .collect()
        });
        if errors.is_empty() {
            Ok(CheckedLimits {
                max_body,
                max_headers: spec.max_headers,
                content_types,
            })
        } else {
            Err(errors)
        }
    }

    /// These limits with `fallback`'s where these set none.
    pub fn over(&self, fallback: &CheckedLimits) -> CheckedLimits {
        CheckedLimits {
            max_body: self.max_body.or(fallback.max_body),
            max_headers: self.max_headers.or(fallback.max_headers),
            content_types: self
                .content_types
                .clone()
                .or_else(|| fallback.content_types.clone()),
        }
    }

    /// The table's limits.
    pub fn limits(&self) -> Limits {
        Limits {
            max_body: self.max_body,
            max_headers: self.max_headers,
            content_types: leak::strs(self.content_types.as_deref().unwrap_or_default()),
        }
    }
}

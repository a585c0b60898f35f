//! `kind = "headers"`: header edits towards the origin and the client. Its settings are the
//! spec as written, once checked.

#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::headers))]
pub struct Headers {
    pub request: Edits,
    pub response: Edits,
}

/// Header edits; names are lower-case.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::headers))]
pub struct Edits {
    pub set: &'static [(&'static str, &'static str)],
    pub remove: &'static [&'static str],
}

#[cfg(feature = "check")]
pub use check::*;

/// The checker's part: the TOML shape, its parse and the value the table holds.
#[cfg(feature = "check")]
mod check {
    use super::{Edits, Headers};
    use crate::leak;
    use crate::lex::is_token_byte;
    use crate::reserved::{GATEWAY_OWNED_HEADERS, HOP_BY_HOP_HEADERS};
    use serde::Deserialize;
    use std::collections::BTreeMap;

    /// `kind = "headers"`: set or remove headers on the way to the origin and on the way back.
    #[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct HeadersSpec {
        #[serde(default)]
        pub request: HeaderEditsSpec,
        #[serde(default)]
        pub response: HeaderEditsSpec,
    }

    #[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct HeaderEditsSpec {
        #[serde(default)]
        pub set: BTreeMap<String, String>,
        #[serde(default)]
        pub remove: Vec<String>,
    }

    /// Checks both sides' edits.
    pub fn parse(spec: &HeadersSpec) -> Result<HeadersSpec, Vec<String>> {
        let mut errors = Vec::new();
        check_header_edits(&spec.request, "request", &mut errors);
        check_header_edits(&spec.response, "response", &mut errors);
        if errors.is_empty() {
            Ok(spec.clone())
        } else {
            Err(errors)
        }
    }

    /// The table's `headers` policy.
    pub fn policy(h: &HeadersSpec) -> Headers {
        Headers {
            request: edits(&h.request),
            response: edits(&h.response),
        }
    }

    fn check_header_edits(edits: &HeaderEditsSpec, ctx: &str, errors: &mut Vec<String>) {
        let names = edits.set.keys().chain(edits.remove.iter());
        for name in names {
            let lower = name.to_ascii_lowercase();
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                errors.push(format!("{ctx}: \"{name}\" is not a valid header name"));
            } else if GATEWAY_OWNED_HEADERS.contains(&lower.as_str())
                || HOP_BY_HOP_HEADERS.contains(&lower.as_str())
            {
                errors.push(format!("{ctx}: header \"{name}\" is managed by the gateway and cannot be changed by a policy"));
            }
        }
        for (name, value) in &edits.set {
            if value.bytes().any(|b| (b < b' ' && b != b'\t') || b == 0x7f) {
                errors.push(format!(
                    "{ctx}: value of \"{name}\" contains a control character"
                ));
            }
        }
    }

    /// One side's edits, names in lower case.
    fn edits(e: &HeaderEditsSpec) -> Edits {
        Edits {
            set: leak::slice(
                e.set
                    .iter()
                    .map(|(k, v)| (leak::str(&k.to_ascii_lowercase()), leak::str(v)))
                    .collect(),
            ),
            remove: leak::slice(
                e.remove
                    .iter()
                    .map(|k| leak::str(&k.to_ascii_lowercase()))
                    .collect(),
            ),
        }
    }
}

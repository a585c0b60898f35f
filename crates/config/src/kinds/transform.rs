//! `kind = "transform"`: query edits and JSON body edits (by JSON Pointer) both ways.

/// A JSON Pointer's unescaped tokens (`/card/number` is `["card", "number"]`).
pub type Pointer = &'static [&'static str];

#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::transform))]
pub struct Transform {
    pub query: QueryEdits,
    pub request_body: BodyEdits,
    pub response_body: BodyEdits,
    /// The largest body read for editing, bytes.
    pub max_body: u32,
}

/// Edits of the query sent upstream; names and values as sent (percent-encoded).
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::transform))]
pub struct QueryEdits {
    pub set: &'static [(&'static str, &'static str)],
    pub remove: &'static [&'static str],
    pub rename: &'static [(&'static str, &'static str)],
}

/// Edits of a JSON body.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::transform))]
pub struct BodyEdits {
    /// (pointer, JSON text of the value).
    pub set: &'static [(Pointer, &'static str)],
    pub remove: &'static [Pointer],
    pub rename: &'static [(Pointer, Pointer)],
    /// (pointer, characters kept at the end).
    pub mask: &'static [(Pointer, u32)],
    /// When non-empty, only these are kept.
    pub allow: &'static [Pointer],
}

#[cfg(feature = "check")]
pub use check::*;

/// The checker's part: the TOML shape, its parse and the value the table holds.
#[cfg(feature = "check")]
mod check {
    use super::{BodyEdits, Pointer, QueryEdits, Transform};
    use crate::leak;
    use crate::lex::byte_size;
    use crate::pointer;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    /// `kind = "transform"`: query and JSON body edits both ways.
    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct TransformSpec {
        #[serde(default)]
        pub request: TransformRequestSpec,
        #[serde(default)]
        pub response: TransformResponseSpec,
        /// Largest body read for editing, e.g. `"1MiB"` (default 1 MiB).
        #[schemars(pattern(crate::lex::BYTE_SIZE_PATTERN))]
        pub max_body: Option<String>,
    }

    #[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct TransformRequestSpec {
        #[serde(default)]
        pub query: QueryEditsSpec,
        #[serde(default)]
        pub body: BodyEditsSpec,
    }

    #[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct TransformResponseSpec {
        #[serde(default)]
        pub body: BodyEditsSpec,
    }

    #[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct QueryEditsSpec {
        #[serde(default)]
        pub set: BTreeMap<String, String>,
        #[serde(default)]
        pub remove: Vec<String>,
        #[serde(default)]
        pub rename: BTreeMap<String, String>,
    }

    /// JSON body edits; keys are JSON Pointers.
    #[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct BodyEditsSpec {
        /// Values are TOML values, sent as JSON.
        #[serde(default)]
        #[schemars(with = "BTreeMap<String, serde_json::Value>")]
        pub set: BTreeMap<String, toml::Value>,
        #[serde(default)]
        pub remove: Vec<String>,
        #[serde(default)]
        pub rename: BTreeMap<String, String>,
        /// Pointer -> characters kept at the end.
        #[serde(default)]
        pub mask: BTreeMap<String, u32>,
        #[serde(default)]
        pub allow: Vec<String>,
    }

    /// Default and largest `max_body`.
    const DEFAULT_MAX_BODY: u32 = 1024 * 1024;
    const MAX_MAX_BODY: u32 = 16 * 1024 * 1024;

    /// Checked body edits: pointers as unescaped tokens, `set` values as JSON text.
    #[derive(Debug, Default)]
    pub struct CheckedBodyEdits {
        set: Vec<(Vec<String>, String)>,
        remove: Vec<Vec<String>>,
        rename: Vec<(Vec<String>, Vec<String>)>,
        mask: Vec<(Vec<String>, u32)>,
        allow: Vec<Vec<String>>,
    }

    #[derive(Debug)]
    pub struct TransformSettings {
        query: QueryEditsSpec,
        request_body: CheckedBodyEdits,
        response_body: CheckedBodyEdits,
        max_body: u32,
    }

    fn query_name_ok(n: &str) -> bool {
        !n.is_empty()
            && n.bytes()
                .all(|b| (0x21..0x7f).contains(&b) && !b"&=#".contains(&b))
    }

    fn check_query(q: &QueryEditsSpec, errors: &mut Vec<String>) {
        let names = q
            .set
            .keys()
            .chain(q.remove.iter())
            .chain(q.rename.keys())
            .chain(q.rename.values());
        for n in names {
            if !query_name_ok(n) {
                errors.push(format!(
                    "request.query: \"{n}\" is not a parameter name (visible ASCII without & = #)"
                ));
            }
        }
        for (n, v) in &q.set {
            if !v
                .bytes()
                .all(|b| (0x21..0x7f).contains(&b) && !b"&#".contains(&b))
            {
                errors.push(format!(
                "request.query.set.{n}: the value is sent as written: visible ASCII without & or #, percent-encode the rest"
            ));
            }
        }
    }

    fn json_of(v: &toml::Value) -> serde_json::Value {
        match v {
            toml::Value::String(s) => serde_json::Value::String(s.clone()),
            toml::Value::Integer(i) => serde_json::Value::from(*i),
            toml::Value::Float(f) => serde_json::Value::from(*f),
            toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
            toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
            toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(json_of).collect()),
            toml::Value::Table(t) => {
                serde_json::Value::Object(t.iter().map(|(k, v)| (k.clone(), json_of(v))).collect())
            }
        }
    }

    fn body(spec: &BodyEditsSpec, side: &str, errors: &mut Vec<String>) -> CheckedBodyEdits {
        let mut ptr = |p: &str| match pointer::parse(p) {
            Ok(t) if !t.is_empty() => Some(t),
            Ok(_) => {
                errors.push(format!(
                    "{side}.body: \"\" (the whole body) cannot be edited"
                ));
                None
            }
            Err(pointer::PointerError::Syntax(e))
            | Err(pointer::PointerError::NotAContainer(e)) => {
                errors.push(format!("{side}.body: pointer {e}"));
                None
            }
        };
        let mut out = CheckedBodyEdits::default();
        for (p, v) in &spec.set {
            if let Some(t) = ptr(p) {
                out.set.push((t, json_of(v).to_string()));
            }
        }
        for p in &spec.remove {
            if let Some(t) = ptr(p) {
                out.remove.push(t);
            }
        }
        for (from, to) in &spec.rename {
            if let (Some(a), Some(b)) = (ptr(from), ptr(to)) {
                out.rename.push((a, b));
            }
        }
        for (p, keep) in &spec.mask {
            if let Some(t) = ptr(p) {
                out.mask.push((t, *keep));
            }
        }
        for p in &spec.allow {
            if let Some(t) = ptr(p) {
                out.allow.push(t);
            }
        }
        out
    }

    /// Checks every edit.
    pub fn parse(spec: &TransformSpec) -> Result<TransformSettings, Vec<String>> {
        let mut errors = Vec::new();
        check_query(&spec.request.query, &mut errors);
        let request_body = body(&spec.request.body, "request", &mut errors);
        if !request_body.mask.is_empty() || !request_body.allow.is_empty() {
            errors.push("request.body: mask and allow apply to responses only".into());
        }
        let response_body = body(&spec.response.body, "response", &mut errors);
        let max_body = match spec
            .max_body
            .as_deref()
            .map(|s| byte_size("max_body", s, MAX_MAX_BODY.into()))
        {
            None => DEFAULT_MAX_BODY,
            Some(Ok(n)) => n as u32,
            Some(Err(e)) => {
                errors.push(e);
                DEFAULT_MAX_BODY
            }
        };
        if errors.is_empty() {
            Ok(TransformSettings {
                query: spec.request.query.clone(),
                request_body,
                response_body,
                max_body,
            })
        } else {
            Err(errors)
        }
    }

    /// A pointer's tokens as the table's.
    fn tokens(t: &[String]) -> Pointer {
        leak::strs(t)
    }

    impl CheckedBodyEdits {
        /// The table's body edits.
        fn edits(&self) -> BodyEdits {
            let pointers =
                |list: &[Vec<String>]| leak::slice(list.iter().map(|p| tokens(p)).collect());
            BodyEdits {
                set: leak::slice(
                    self.set
                        .iter()
                        .map(|(p, v)| (tokens(p), leak::str(v)))
                        .collect(),
                ),
                remove: pointers(&self.remove),
                rename: leak::slice(
                    self.rename
                        .iter()
                        .map(|(a, b)| (tokens(a), tokens(b)))
                        .collect(),
                ),
                mask: leak::slice(self.mask.iter().map(|(p, k)| (tokens(p), *k)).collect()),
                allow: pointers(&self.allow),
            }
        }
    }

    impl TransformSettings {
        /// Whether the request (its query or JSON body) is edited.
        pub fn edits_request(&self) -> bool {
            let q = &self.query;
            let b = &self.request_body;
            !(q.set.is_empty()
                && q.remove.is_empty()
                && q.rename.is_empty()
                && b.set.is_empty()
                && b.remove.is_empty()
                && b.rename.is_empty()
                && b.mask.is_empty()
                && b.allow.is_empty())
        }

        /// Whether the request's JSON body is edited: a body on the route must then be JSON
        /// (415 otherwise).
        pub fn edits_request_body(&self) -> bool {
            let b = &self.request_body;
            !(b.set.is_empty()
                && b.remove.is_empty()
                && b.rename.is_empty()
                && b.mask.is_empty()
                && b.allow.is_empty())
        }

        /// Whether the response body is edited (the policy then must come after a cache policy,
        /// so stored entries hold the edited body).
        pub fn edits_response(&self) -> bool {
            let b = &self.response_body;
            !(b.set.is_empty()
                && b.remove.is_empty()
                && b.rename.is_empty()
                && b.mask.is_empty()
                && b.allow.is_empty())
        }

        /// The table's `transform` policy.
        pub fn policy(&self) -> Transform {
            let q = &self.query;
            let pairs = |m: &BTreeMap<String, String>| {
                leak::slice(
                    m.iter()
                        .map(|(k, v)| (leak::str(k), leak::str(v)))
                        .collect(),
                )
            };
            Transform {
                query: QueryEdits {
                    set: pairs(&q.set),
                    remove: leak::strs(&q.remove),
                    rename: pairs(&q.rename),
                },
                request_body: self.request_body.edits(),
                response_body: self.response_body.edits(),
                max_body: self.max_body,
            }
        }
    }
}

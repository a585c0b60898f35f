//! `kind = "graphql"`: guards a GraphQL endpoint. Each operation is parsed at the edge and
//! held to the policy's limits (depth, aliases, root fields, tokens, estimated cost, batch
//! size), introspection is refused unless enabled, and with an allowlist only the listed
//! operations (`routes/graphql/<allowlist>/*.graphql`, by SHA-256) run.

/// A compiled `graphql` policy.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::graphql))]
pub struct Graphql {
    /// The policy's name.
    pub name: &'static str,
    /// Deepest field nesting (a root field is depth 1; fragments count where they are spread).
    pub max_depth: u32,
    /// Aliased fields in the operation, fragments expanded.
    pub max_aliases: u32,
    /// Fields at the operation's top level, fragments expanded.
    pub max_root_fields: u32,
    /// Lexical tokens in the document (the parser stops past it).
    pub max_tokens: u32,
    /// Estimated cost: every field costs 1, times the list sizes asked for above it.
    pub max_cost: u32,
    /// The arguments that ask a field for a list of that many items (`first`, `last`, `limit`).
    pub list_arguments: &'static [&'static str],
    /// The list size assumed for a field with a selection set and no list argument (the
    /// schema's own default is not known at the edge).
    pub default_list_size: u32,
    /// Whether `__schema` and `__type` may be asked.
    pub introspection: bool,
    /// Operations in one batched request (a JSON array).
    pub max_batch: u32,
    /// Only these operations may run, when set.
    pub allowlist: Option<&'static [Persisted]>,
}

/// An operation on the allowlist.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::graphql))]
pub struct Persisted {
    /// The SHA-256 of `text`, lowercase hex: what persisted-query clients send.
    pub sha256: &'static str,
    /// The document, as stored (whitespace around it trimmed).
    pub text: &'static str,
}

/// Where allowlists live, under `routes/`.
pub const DIR: &str = "routes/graphql/";

#[cfg(feature = "check")]
pub use check::*;

/// The checker's part: the TOML shape, its parse and the value the table holds.
#[cfg(feature = "check")]
mod check {
    use super::{Graphql, Persisted, DIR};
    use crate::kinds::{Placement, Settings};
    use crate::leak;
    use serde::Deserialize;

    /// `kind = "graphql"`: the limits, with defaults a public API can start from.
    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct GraphqlSpec {
        #[serde(default = "default_depth")]
        pub max_depth: u32,
        #[serde(default = "default_aliases")]
        pub max_aliases: u32,
        #[serde(default = "default_root_fields")]
        pub max_root_fields: u32,
        #[serde(default = "default_tokens")]
        pub max_tokens: u32,
        #[serde(default = "default_cost")]
        pub max_cost: u32,
        #[serde(default = "default_list_arguments")]
        pub list_arguments: Vec<String>,
        #[serde(default = "default_list_size")]
        pub default_list_size: u32,
        #[serde(default)]
        pub introspection: bool,
        #[serde(default = "default_batch")]
        pub max_batch: u32,
        /// A folder under `routes/graphql/`: its `.graphql` files are the only operations.
        pub allowlist: Option<String>,
    }

    fn default_depth() -> u32 {
        10
    }
    fn default_aliases() -> u32 {
        15
    }
    fn default_root_fields() -> u32 {
        10
    }
    fn default_tokens() -> u32 {
        2000
    }
    fn default_cost() -> u32 {
        5000
    }
    fn default_list_arguments() -> Vec<String> {
        vec!["first".into(), "last".into(), "limit".into()]
    }
    fn default_list_size() -> u32 {
        1
    }
    fn default_batch() -> u32 {
        1
    }

    /// A checked `graphql` policy: its spec and the allowlist's operations.
    #[derive(Debug)]
    pub struct GraphqlSettings {
        pub spec: GraphqlSpec,
        pub allowlist: Option<Vec<(String, String)>>,
    }

    /// Parses and checks a `graphql` policy; `documents` are `routes/graphql/**` as (path,
    /// text).
    pub fn parse(
        spec: &GraphqlSpec,
        documents: &[(String, String)],
    ) -> Result<GraphqlSettings, Vec<String>> {
        let mut errors = Vec::new();
        for (key, value) in [
            ("max_depth", spec.max_depth),
            ("max_aliases", spec.max_aliases),
            ("max_root_fields", spec.max_root_fields),
            ("max_tokens", spec.max_tokens),
            ("max_cost", spec.max_cost),
            ("max_batch", spec.max_batch),
        ] {
            if value == 0 {
                errors.push(format!("{key}: must be at least 1"));
            }
        }
        for a in &spec.list_arguments {
            if !is_name(a) {
                errors.push(format!(
                    "list_arguments: \"{a}\" is not a GraphQL name ([_A-Za-z][_0-9A-Za-z]*)"
                ));
            }
        }
        let allowlist = spec.allowlist.as_ref().map(|folder| {
            let prefix = format!("{DIR}{}/", folder.trim_matches('/'));
            let listed: Vec<(String, String)> = documents
                .iter()
                .filter(|(path, _)| path.starts_with(&prefix))
                .map(|(path, text)| (path.clone(), text.trim().to_string()))
                .collect();
            if listed.is_empty() {
                errors.push(format!(
                    "allowlist \"{folder}\": no .graphql files in {prefix}"
                ));
            }
            listed
        });
        if errors.is_empty() {
            Ok(GraphqlSettings {
                spec: spec.clone(),
                allowlist,
            })
        } else {
            Err(errors)
        }
    }

    /// Where a `graphql` policy may stand: at most one per route; no request transform after
    /// it (the operation checked must be the one sent); and a cache on the route must keep
    /// every GraphQL parameter in its key (it sends the origin only the key's query).
    pub fn placement(p: &Placement, errors: &mut Vec<String>) {
        let Some(at) = p.only_one(|s| matches!(s, Settings::Graphql(_)), "graphql", errors) else {
            return;
        };
        let name = &p.policy(at).name;
        for i in at + 1..p.chain.len() {
            if let Settings::Transform(t) = &p.policy(i).settings {
                if t.edits_request() {
                    errors.push(format!(
                        "{}: policy \"{}\" (transform) edits the request after policy \"{name}\" (graphql): put it before, so the operation checked is the one sent",
                        p.ctx,
                        p.policy(i).name
                    ));
                }
            }
        }
        for i in 0..p.chain.len() {
            if let Settings::Cache(c) = &p.policy(i).settings {
                let dropped: Vec<&str> = ["query", "operationName", "variables", "extensions"]
                    .into_iter()
                    .filter(|n| match &c.query {
                        crate::table::cache_key::QueryRule::All => false,
                        crate::table::cache_key::QueryRule::Allow(keep) => !keep.contains(n),
                        crate::table::cache_key::QueryRule::Deny(drop) => drop.contains(n),
                    })
                    .collect();
                if !dropped.is_empty() {
                    errors.push(format!(
                        "{}: policy \"{}\" (cache) leaves {} out of its key, so the origin would not get it: keep the GraphQL parameters in `query`",
                        p.ctx,
                        p.policy(i).name,
                        dropped.join(", ")
                    ));
                }
            }
        }
    }

    /// Whether `s` is a GraphQL name.
    pub fn is_name(s: &str) -> bool {
        let mut b = s.bytes();
        matches!(b.next(), Some(c) if c == b'_' || c.is_ascii_alphabetic())
            && b.all(|c| c == b'_' || c.is_ascii_alphanumeric())
    }

    /// Checks `routes/graphql/**`: `.graphql` files holding executable documents (operations
    /// and fragments) that parse. Every problem names the file, line and column.
    pub fn check_documents(documents: &[(String, String)]) -> Vec<String> {
        let mut errors = Vec::new();
        for (path, text) in documents {
            if !path.ends_with(".graphql") {
                errors.push(format!(
                    "{path}: unexpected file: {DIR} holds .graphql files only"
                ));
                continue;
            }
            let tree = apollo_parser::Parser::new(text).parse();
            for e in tree.errors() {
                let (line, col) = line_col(text, e.index());
                errors.push(format!("{path}:{line}:{col}: {}", e.message()));
            }
            let doc = tree.document();
            let mut operations = 0;
            for d in doc.definitions() {
                use apollo_parser::cst::Definition;
                match d {
                    Definition::OperationDefinition(_) => operations += 1,
                    Definition::FragmentDefinition(_) => {}
                    other => errors.push(format!(
                        "{path}: {} is not an operation or a fragment",
                        other.kind()
                    )),
                }
            }
            if operations == 0 {
                errors.push(format!("{path}: no operation"));
            }
        }
        errors
    }

    /// The 1-based line and column of byte `at` in `text`.
    fn line_col(text: &str, at: usize) -> (usize, usize) {
        let before = &text[..at.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        (line, col)
    }

    impl GraphqlSettings {
        /// The table's `graphql` policy.
        pub fn policy(&self, name: &str) -> Graphql {
            use sha2::Digest;
            let s = &self.spec;
            let allowlist = self.allowlist.as_ref().map(|docs| {
                leak::slice(
                    docs.iter()
                        .map(|(_, text)| {
                            let hash = sha2::Sha256::digest(text.as_bytes());
                            let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
                            Persisted {
                                sha256: leak::str(&hex),
                                text: leak::str(text),
                            }
                        })
                        .collect(),
                )
            });
            Graphql {
                name: leak::str(name),
                max_depth: s.max_depth,
                max_aliases: s.max_aliases,
                max_root_fields: s.max_root_fields,
                max_tokens: s.max_tokens,
                max_cost: s.max_cost,
                list_arguments: leak::strs(&s.list_arguments),
                default_list_size: s.default_list_size,
                introspection: s.introspection,
                max_batch: s.max_batch,
                allowlist,
            }
        }
    }
}

//! `kind = "cors"`: the table's [`Cors`]; with `check`, parsed once into [`CorsSettings`], which the
//! table's value is built from.

use crate::table::http::Method;

/// One entry of `origins`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::cors))]
pub enum OriginRule {
    /// `"*"`: any origin (never with credentials).
    Any,
    /// `"https://app.example.com"`: exactly this serialised origin (lower-case).
    Exact(&'static str),
    /// `"https://*.example.com"`: a subdomain (one or more labels) of `domain` with this
    /// scheme and port; never the domain itself.
    Subdomain {
        scheme: &'static str,
        /// Without the leading dot, e.g. `example.com`.
        domain: &'static str,
        port: Option<&'static str>,
    },
}

/// A compiled `cors` policy.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::cors))]
pub struct Cors {
    pub name: &'static str,
    pub origins: &'static [OriginRule],
    /// Empty: every method the matched route serves.
    pub methods: &'static [Method],
    /// Lower-case request header names a page may send.
    pub allow_headers: &'static [&'static str],
    /// Response header names a page may read, as configured.
    pub expose_headers: &'static [&'static str],
    pub credentials: bool,
    pub max_age_s: u32,
    /// Answer a disallowed origin 403 instead of leaving out the CORS headers.
    pub reject: bool,
}

#[cfg(feature = "check")]
pub use check::*;

/// The checker's part: the TOML shape, its parse and the value the table holds.
#[cfg(feature = "check")]
mod check {
    use super::{Cors, OriginRule};
    use crate::kinds::{Placement, Settings};
    use crate::leak;
    use crate::lex::{is_token_byte, method, seconds, METHODS};
    use crate::origin_syntax;
    use serde::Deserialize;

    /// `kind = "cors"`: cross-origin requests from browsers, preflights answered at the edge.
    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct CorsSpec {
        /// Allowed origins: exact (`https://app.example.com`), subdomain patterns
        /// (`https://*.example.com`) or `"*"`.
        pub origins: Vec<String>,
        /// Methods a preflight may ask for (default: every method of the matched route).
        #[serde(default)]
        pub methods: Vec<String>,
        /// Request headers a page may send.
        #[serde(default)]
        pub allow_headers: Vec<String>,
        /// Response headers a page may read.
        #[serde(default)]
        pub expose_headers: Vec<String>,
        /// Allow cookies and HTTP authentication (never with `"*"`).
        #[serde(default)]
        pub credentials: bool,
        /// How long browsers may cache a preflight (default "10m", at most "24h").
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub max_age: Option<String>,
        /// Answer a disallowed origin 403 instead of leaving out the CORS headers.
        #[serde(default)]
        pub reject: bool,
    }

    /// An `origins` entry, checked.
    #[derive(Debug, Clone, PartialEq)]
    pub enum CheckedOrigin {
        Any,
        Exact(String),
        Subdomain {
            scheme: String,
            domain: String,
            port: Option<String>,
        },
    }

    /// A `cors` policy with everything parsed.
    #[derive(Debug)]
    pub struct CorsSettings {
        pub origins: Vec<CheckedOrigin>,
        pub methods: Vec<String>,
        pub allow_headers: Vec<String>,
        pub expose_headers: Vec<String>,
        pub credentials: bool,
        pub max_age_s: u32,
        pub reject: bool,
    }

    /// Parses and checks a `cors` policy.
    pub fn parse(spec: &CorsSpec) -> Result<CorsSettings, Vec<String>> {
        let mut errors = Vec::new();
        if spec.origins.is_empty() {
            errors.push("origins: list at least one origin (or \"*\")".to_string());
        }
        let mut origins = Vec::new();
        for o in &spec.origins {
            match origin_rule(o) {
                Ok(rule) => origins.push(rule),
                Err(e) => errors.push(format!("origins: \"{o}\" {e}")),
            }
        }
        if spec.credentials && origins.contains(&CheckedOrigin::Any) {
            errors.push("origins: \"*\" cannot be combined with credentials = true (browsers refuse Access-Control-Allow-Origin: * on credentialed requests); list the allowed origins".to_string());
        }
        for m in &spec.methods {
            if !METHODS.contains(&m.as_str()) {
                errors.push(format!(
                    "methods: unknown method \"{m}\" (allowed: {})",
                    METHODS.join(", ")
                ));
            }
        }
        let mut header_list = |key: &str, list: &[String]| -> Vec<String> {
            let mut out = Vec::new();
            for h in list {
                if h.is_empty() || !h.bytes().all(is_token_byte) {
                    errors.push(format!("{key}: \"{h}\" is not a header name"));
                } else {
                    out.push(h.to_ascii_lowercase());
                }
            }
            out
        };
        let allow_headers = header_list("allow_headers", &spec.allow_headers);
        let expose_headers = header_list("expose_headers", &spec.expose_headers);
        let max_age_s = match seconds("max_age", spec.max_age.as_deref(), 600, true) {
            Ok(s) if s <= 86_400 => s,
            Ok(_) => {
                errors.push("max_age: at most 24h".to_string());
                600
            }
            Err(e) => {
                errors.push(e);
                600
            }
        };
        if errors.is_empty() {
            Ok(CorsSettings {
                origins,
                methods: spec.methods.clone(),
                allow_headers,
                expose_headers,
                credentials: spec.credentials,
                max_age_s,
                reject: spec.reject,
            })
        } else {
            Err(errors)
        }
    }

    /// `*`, `scheme://host[:port]` or `scheme://*.domain[:port]`, lower-cased.
    fn origin_rule(o: &str) -> Result<CheckedOrigin, String> {
        if o == "*" {
            return Ok(CheckedOrigin::Any);
        }
        let lower = o.to_ascii_lowercase();
        let shape =
        "is not an origin: use scheme://host[:port] (no path), scheme://*.domain[:port] or \"*\"";
        let (scheme, rest) = lower.split_once("://").ok_or(shape)?;
        if scheme != "http" && scheme != "https" {
            return Err("is not an origin: the scheme must be http or https".into());
        }
        // A pattern is an origin whose host starts with `*.`: check the rest as an origin.
        let (wildcard, plain) = match rest.strip_prefix("*.") {
            Some(domain) => (true, format!("{scheme}://{domain}")),
            None => (false, lower.clone()),
        };
        let Some((_, host, port)) = origin_syntax::split(&plain) else {
            return Err(if rest.contains('*') {
                "is not an origin: a wildcard must be a whole leading label (\"https://*.example.com\")"
                .into()
            } else {
                shape.into()
            });
        };
        if !wildcard {
            return Ok(CheckedOrigin::Exact(lower));
        }
        if !host.contains('.') {
            return Err(
                "is too broad: a wildcard needs a domain with a dot (\"https://*.example.com\")"
                    .into(),
            );
        }
        Ok(CheckedOrigin::Subdomain {
            scheme: scheme.to_string(),
            domain: host.to_string(),
            port: port.map(str::to_string),
        })
    }

    impl CorsSettings {
        /// The table's `cors` policy.
        pub fn policy(&self, name: &str) -> Cors {
            let origins = self
                .origins
                .iter()
                .map(|o| match o {
                    CheckedOrigin::Any => OriginRule::Any,
                    CheckedOrigin::Exact(e) => OriginRule::Exact(leak::str(e)),
                    CheckedOrigin::Subdomain {
                        scheme,
                        domain,
                        port,
                    } => OriginRule::Subdomain {
                        scheme: leak::str(scheme),
                        domain: leak::str(domain),
                        port: leak::opt(port.as_deref()),
                    },
                })
                .collect();
            Cors {
                name: leak::str(name),
                origins: leak::slice(origins),
                methods: leak::slice(self.methods.iter().filter_map(|m| method(m)).collect()),
                allow_headers: leak::strs(&self.allow_headers),
                expose_headers: leak::strs(&self.expose_headers),
                credentials: self.credentials,
                max_age_s: self.max_age_s,
                reject: self.reject,
            }
        }
    }

    /// A route's `cors` policy: at most one, before every authentication, `require`,
    /// `rate_limit` and `cache` policy, so a preflight (which carries no credentials) is answered
    /// before anything could refuse it.
    pub fn placement(p: &Placement, errors: &mut Vec<String>) {
        let Some(at) = p.only_one(Settings::is_cors, "cors", errors) else {
            return;
        };
        if let Some(before) = (0..at).find(|&i| p.policy(i).settings.refuses_or_answers()) {
            errors.push(format!(
            "{}: policy \"{}\" (cors) must come before policy \"{}\", so preflights are answered without credentials",
            p.ctx,
            p.policy(at).name,
            p.policy(before).name
        ));
        }
    }
}

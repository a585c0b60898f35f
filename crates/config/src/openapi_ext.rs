//! Gatehouse's extension fields on an OpenAPI operation: what the standard fields cannot say
//! and the developer portal shows. [`extend`] sets, on one operation:
//!
//! - `x-gatehouse-auth` (routes with an authentication or `require` policy): `credentials`,
//!   the alternatives a caller may present (an `any` policy gives one per member), each a list
//!   of credentials that must all pass, each `{policy, kind, ...where it is read}` (an API key
//!   sent as `Authorization: Bearer` has `header: "authorization"` and `bearer: true`); and
//!   `require`, one object per `require` policy, each of which must hold: `scopes` (all of
//!   them), `any_scopes` (at least one), `roles` (at least one), `claims` (all; each
//!   `{claim, equals | one_of | contains}`). Empty lists are left out.
//! - `x-gatehouse-rate-limits` (rate-limited routes): one entry per limit, plan limits
//!   included: `{name, limit, unit, window_s, plan, algorithm, key}`, plus `burst` for a token
//!   bucket and `per` (`day` or `month`) for a calendar quota. `unit` is what `limit` counts:
//!   `requests`, or `tokens` (LLM tokens, input and output, of a `unit = "tokens"` limit). It
//!   replaces the shorter list the operation may already hold.
//! - `x-gatehouse-successor` (a route whose version names a successor that has the same path
//!   and method): `{path, method}` of that operation (the method in lower case, as the
//!   document's keys).

use super::check::{Checked, CheckedRoute};
use super::kinds::rate_limit::{KeyPart, LimitSettings, RateLimitSettings};
use super::kinds::require::RequireSpec;
use super::kinds::Settings;
use super::table::limit::Algorithm;
use gatehouse_shared::dates::Period;
use serde_json::{json, Map, Value};

/// Sets the extension fields of route `r`'s operation for `method` (upper case) on `op`.
pub fn extend(c: &Checked, r: &CheckedRoute, method: &str, op: &mut Value) {
    let chain: Vec<usize> = c
        .default_policies
        .iter()
        .chain(&r.policies)
        .copied()
        .collect();
    if let Some(auth) = auth(c, &chain) {
        op["x-gatehouse-auth"] = auth;
    }
    let limits: Vec<Value> = chain
        .iter()
        .filter_map(|&i| match &c.policies[i].settings {
            Settings::RateLimit(rl) => Some(rate_limits(rl)),
            _ => None,
        })
        .flatten()
        .collect();
    if !limits.is_empty() {
        op["x-gatehouse-rate-limits"] = json!(limits);
    }
    if let Some(next) = successor(c, r, method) {
        op["x-gatehouse-successor"] = next;
    }
}

/// The route's full authentication requirement, or `None` when it has none.
fn auth(c: &Checked, chain: &[usize]) -> Option<Value> {
    let mut alternatives: Vec<Vec<Value>> = vec![Vec::new()];
    let mut require = Vec::new();
    for &i in chain {
        let p = &c.policies[i];
        match &p.settings {
            Settings::Any(_) => {
                let members: Vec<Value> = p
                    .members
                    .iter()
                    .filter_map(|&m| credential(&c.policies[m].name, &c.policies[m].settings))
                    .collect();
                alternatives = alternatives
                    .iter()
                    .flat_map(|alt| {
                        members.iter().map(move |m| {
                            let mut alt = alt.clone();
                            alt.push(m.clone());
                            alt
                        })
                    })
                    .collect();
            }
            Settings::Require(spec) => require.push(requirement(spec)),
            settings => {
                if let Some(cred) = credential(&p.name, settings) {
                    for alt in &mut alternatives {
                        alt.push(cred.clone());
                    }
                }
            }
        }
    }
    alternatives.retain(|alt| !alt.is_empty());
    if alternatives.is_empty() && require.is_empty() {
        return None;
    }
    Some(json!({ "credentials": alternatives, "require": require }))
}

/// One credential an authentication policy accepts, with where it is read; `None` for a
/// policy that reads none.
fn credential(policy: &str, settings: &Settings) -> Option<Value> {
    let mut out = json!({ "policy": policy, "kind": settings.kind() });
    match settings {
        Settings::Jwt(j) => {
            out["header"] = json!("authorization");
            if let Some(cookie) = &j.spec.cookie {
                out["cookie"] = json!(cookie);
            }
            if let Some(query) = &j.spec.query {
                out["query"] = json!(query);
            }
            if let Some(issuer) = &j.spec.issuer {
                out["issuer"] = json!(issuer);
            }
            if !j.spec.audiences.is_empty() {
                out["audiences"] = json!(j.spec.audiences);
            }
        }
        Settings::ApiKey(a) if a.spec.bearer => {
            out["header"] = json!("authorization");
            out["bearer"] = json!(true);
        }
        Settings::ApiKey(a) => match (&a.spec.header, &a.spec.query) {
            (None, None) => out["header"] = json!("x-api-key"),
            (header, query) => {
                if let Some(h) = header {
                    out["header"] = json!(h.to_ascii_lowercase());
                }
                if let Some(q) = query {
                    out["query"] = json!(q);
                }
            }
        },
        Settings::Mtls(m) => {
            // Whether only listed certificates pass (their fingerprints stay out of the document).
            out["pinned"] = json!(!m.fingerprints.is_empty() || !m.subjects.is_empty());
        }
        _ => return None,
    }
    Some(out)
}

/// One `require` policy's conditions, empty lists left out.
fn requirement(spec: &RequireSpec) -> Value {
    let mut out = Map::new();
    for (key, list) in [
        ("scopes", &spec.scopes),
        ("any_scopes", &spec.any_scopes),
        ("roles", &spec.roles),
    ] {
        if !list.is_empty() {
            out.insert(key.into(), json!(list));
        }
    }
    if !spec.claims.is_empty() {
        let claims: Vec<Value> = spec
            .claims
            .iter()
            .map(|rule| {
                let mut c = json!({ "claim": rule.claim });
                if let Some(v) = &rule.equals {
                    c["equals"] = json!(v);
                }
                if let Some(v) = &rule.one_of {
                    c["one_of"] = json!(v);
                }
                if let Some(v) = &rule.contains {
                    c["contains"] = json!(v);
                }
                c
            })
            .collect();
        out.insert("claims".into(), json!(claims));
    }
    Value::Object(out)
}

/// Every limit of one `rate_limit` policy, the plans' included.
fn rate_limits(rl: &RateLimitSettings) -> Vec<Value> {
    let key: Vec<String> = rl.key.iter().map(key_part).collect();
    let unit = if rl.tokens { "tokens" } else { "requests" };
    let one = |l: &LimitSettings, plan: Option<&str>| {
        let mut out = json!({
            "name": l.name, "limit": l.limit, "unit": unit, "window_s": l.window_ms / 1000,
            "plan": plan, "key": key,
        });
        let algorithm = match l.algorithm {
            Algorithm::FixedWindow => "fixed_window",
            Algorithm::SlidingWindow => "sliding_window",
            Algorithm::TokenBucket { burst } => {
                out["burst"] = json!(burst);
                "token_bucket"
            }
            Algorithm::Calendar(period) => {
                out["per"] = json!(match period {
                    Period::Day => "day",
                    Period::Month => "month",
                });
                "calendar"
            }
        };
        out["algorithm"] = json!(algorithm);
        out
    };
    rl.limits
        .iter()
        .map(|l| one(l, None))
        .chain(
            rl.plans
                .iter()
                .flat_map(|(plan, ls)| ls.iter().map(move |l| one(l, Some(plan)))),
        )
        .collect()
}

/// A key part as written in the config.
fn key_part(part: &KeyPart) -> String {
    match part {
        KeyPart::Ip => "ip".into(),
        KeyPart::Consumer => "consumer".into(),
        KeyPart::Claim(c) => format!("claim:{c}"),
        KeyPart::Header(h) => format!("header:{h}"),
        KeyPart::Route => "route".into(),
        KeyPart::Operation => "operation".into(),
        KeyPart::Global => "global".into(),
    }
}

/// The operation that replaces this one: the same path and method in the successor version
/// (a route for the same host preferred), as `{path, method}`.
fn successor(c: &Checked, r: &CheckedRoute, method: &str) -> Option<Value> {
    let next = r.lifecycle.successor.as_deref()?;
    let candidates: Vec<&CheckedRoute> = c
        .routes
        .iter()
        .filter(|s| {
            s.version == next
                && s.local_path == r.local_path
                && s.methods.iter().any(|m| m == method)
        })
        .collect();
    let found = candidates
        .iter()
        .find(|s| s.host == r.host)
        .or(candidates.first())?;
    // The document's path form: matchit's `{*rest}` is `{rest}`.
    Some(json!({
        "path": found.path.replace("{*", "{"),
        "method": method.to_ascii_lowercase(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{check, SourceFile};

    const GATEWAY: &str = r#"
[upstreams.users]
url = "http://127.0.0.1:9001"

[policies.user-jwt]
kind = "jwt"
algorithms = ["HS256"]
secret = "JWT_SECRET"
issuer = "https://id.example/"
audiences = ["demo"]
cookie = "session"

[policies.partner-key]
kind = "api_key"
query = "api_key"
store = "API_KEYS"

[policies.cert]
kind = "mtls"
fingerprints = ["5e3f1b8a0c5d4e2f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b"]

[policies.user-or-partner]
kind = "any"
of = ["user-jwt", "partner-key"]
"#;

    fn checked(v1: &str, v2: &str) -> Checked {
        let files = vec![
            SourceFile {
                path: "routes/gateway.toml".into(),
                text: GATEWAY.into(),
            },
            SourceFile {
                path: "routes/v1/r.toml".into(),
                text: v1.into(),
            },
            SourceFile {
                path: "routes/v1/version.toml".into(),
                text: "deprecated = \"2026-06-01T00:00:00Z\"\nsuccessor = \"v2\"".into(),
            },
            SourceFile {
                path: "routes/v2/r.toml".into(),
                text: v2.into(),
            },
        ];
        check(&files).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn route(id: &str, methods: &str, path: &str, policies: &str) -> String {
        format!("[[route]]\nid = \"{id}\"\nmethods = {methods}\npath = \"{path}\"\nupstream = \"users\"\npolicies = {policies}\n")
    }

    /// The extension fields of route `id`'s operation for `method`.
    fn ext(c: &Checked, id: &str, method: &str) -> Value {
        let r = c.routes.iter().find(|r| r.id == id).unwrap();
        let mut op = json!({});
        extend(c, r, method, &mut op);
        op
    }

    #[test]
    fn auth_lists_the_credential_with_where_it_is_read_and_every_require_condition() {
        let c = checked(
            &route(
                "admin",
                "[\"GET\"]",
                "/admin",
                r#"["user-jwt", { kind = "require", scopes = ["a:read", "a:write"], any_scopes = ["x", "y"], roles = ["admin"], claims = [{ claim = "org", equals = "acme" }, { claim = "tier", one_of = ["gold", "silver"] }] }]"#,
            ),
            "",
        );
        let auth = &ext(&c, "admin", "GET")["x-gatehouse-auth"];
        assert_eq!(
            auth["credentials"],
            json!([[{ "policy": "user-jwt", "kind": "jwt", "header": "authorization", "cookie": "session", "issuer": "https://id.example/", "audiences": ["demo"] }]])
        );
        assert_eq!(
            auth["require"],
            json!([{
                "scopes": ["a:read", "a:write"], "any_scopes": ["x", "y"], "roles": ["admin"],
                "claims": [{ "claim": "org", "equals": "acme" }, { "claim": "tier", "one_of": ["gold", "silver"] }],
            }])
        );
    }

    #[test]
    fn an_any_policy_gives_one_alternative_per_member_each_with_the_other_credentials() {
        let c = checked(
            &route(
                "either",
                "[\"GET\"]",
                "/either",
                r#"["user-or-partner", "cert"]"#,
            ),
            "",
        );
        let auth = &ext(&c, "either", "GET")["x-gatehouse-auth"];
        let alternatives = auth["credentials"].as_array().unwrap();
        assert_eq!(alternatives.len(), 2);
        let kinds: Vec<Vec<&str>> = alternatives
            .iter()
            .map(|alt| {
                alt.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["kind"].as_str().unwrap())
                    .collect()
            })
            .collect();
        assert_eq!(kinds, [["jwt", "mtls"], ["api_key", "mtls"]]);
        assert_eq!(alternatives[1][0]["query"], json!("api_key"));
        assert_eq!(alternatives[1][0].get("header"), None);
        assert_eq!(alternatives[0][1]["pinned"], json!(true));
        assert_eq!(auth["require"], json!([]));
    }

    #[test]
    fn a_route_without_authentication_has_no_auth_field() {
        let c = checked(&route("open", "[\"GET\"]", "/open", "[]"), "");
        assert_eq!(ext(&c, "open", "GET").get("x-gatehouse-auth"), None);
    }

    #[test]
    fn rate_limits_carry_algorithm_key_burst_and_calendar_period_plans_included() {
        let gateway_plans = GATEWAY.replacen(
            "[upstreams.users]",
            "[gateway]\nplans = [\"gold\"]\n\n[upstreams.users]",
            1,
        );
        let files = vec![
            SourceFile {
                path: "routes/gateway.toml".into(),
                text: gateway_plans,
            },
            SourceFile {
                path: "routes/v1/r.toml".into(),
                text: route(
                    "limited",
                    "[\"GET\"]",
                    "/limited",
                    r#"[{ kind = "rate_limit", key = ["ip", "header:X-Tenant"], limits = [{ name = "second", limit = 5, window = "1s", algorithm = "token_bucket", burst = 10 }, { name = "daily", limit = 100, per = "day" }], plans.gold = [{ name = "second", limit = 50, window = "1s", algorithm = "fixed_window" }] }]"#,
                ),
            },
        ];
        let c = check(&files).unwrap_or_else(|e| panic!("{e:?}"));
        let limits = ext(&c, "limited", "GET")["x-gatehouse-rate-limits"].clone();
        let key = json!(["ip", "header:x-tenant"]);
        assert_eq!(
            limits,
            json!([
                { "name": "second", "limit": 5, "unit": "requests", "window_s": 1, "plan": null, "key": key, "algorithm": "token_bucket", "burst": 10 },
                { "name": "daily", "limit": 100, "unit": "requests", "window_s": 86400, "plan": null, "key": key, "algorithm": "calendar", "per": "day" },
                { "name": "second", "limit": 50, "unit": "requests", "window_s": 1, "plan": "gold", "key": key, "algorithm": "fixed_window" },
            ])
        );
    }

    #[test]
    fn a_successor_names_the_same_path_and_method_in_the_next_version_only_when_it_has_it() {
        let c = checked(
            &format!(
                "{}{}",
                route("get", "[\"GET\"]", "/users/{id}", "[]"),
                route("put", "[\"PUT\"]", "/users/{id}", "[]"),
            ),
            &route("v2-get", "[\"GET\"]", "/users/{id}", "[]"),
        );
        assert_eq!(
            ext(&c, "get", "GET")["x-gatehouse-successor"],
            json!({ "path": "/v2/users/{id}", "method": "get" })
        );
        assert_eq!(ext(&c, "put", "PUT").get("x-gatehouse-successor"), None);
        assert_eq!(ext(&c, "v2-get", "GET").get("x-gatehouse-successor"), None);
    }

    #[test]
    fn the_document_carries_the_extension_fields() {
        let c = checked(
            &route(
                "get",
                "[\"GET\"]",
                "/users/{id}",
                r#"["user-jwt", { kind = "require", roles = ["admin"] }, { kind = "rate_limit", key = "ip", limits = [{ name = "s", limit = 1, window = "1s", algorithm = "token_bucket", burst = 3 }] }]"#,
            ),
            &route("v2-get", "[\"GET\"]", "/users/{id}", "[]"),
        );
        let doc = crate::openapi::document(&c, None);
        let op = &doc["paths"]["/v1/users/{id}"]["get"];
        assert_eq!(
            op["x-gatehouse-auth"]["require"],
            json!([{ "roles": ["admin"] }])
        );
        assert_eq!(op["x-gatehouse-rate-limits"][0]["burst"], json!(3));
        assert_eq!(
            op["x-gatehouse-successor"],
            json!({ "path": "/v2/users/{id}", "method": "get" })
        );
    }
}

//! `kind = "jwt"`: the table's [`Jwt`]; with `check`, parsed once into [`JwtSettings`], which
//! the checker reports errors from and builds the [`Jwt`] from.

use crate::table::http::UrlPart;
use crate::table::jwks::JwksTimes;
use gatehouse_shared::alg::{Alg, KeyKind};

/// A compiled `jwt` policy.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::jwt))]
pub struct Jwt {
    pub name: &'static str,
    /// Its place in the table's policies: its key in per-isolate caches (never its address:
    /// identical constants may share one).
    pub index: u16,
    pub algorithms: &'static [Alg],
    pub issuer: Option<&'static str>,
    pub audiences: &'static [&'static str],
    /// Name of the wrangler secret with the HMAC key.
    pub secret: Option<&'static str>,
    pub jwks_url: Option<&'static [UrlPart]>,
    pub keys: &'static [StaticKey],
    pub require_exp: bool,
    pub leeway_s: u32,
    pub max_token_bytes: u32,
    pub cookie: Option<&'static str>,
    pub query: Option<&'static str>,
    pub jwks: JwksTimes,
    /// 0 turns the verified-token cache off.
    pub token_cache_ttl_s: u32,
    /// (claim, header) pairs.
    pub forward: &'static [(&'static str, &'static str)],
}

/// A public key written in routes/: PEM (as DER) or JWK (as JSON).
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::jwt))]
pub struct StaticKey {
    pub kid: Option<&'static str>,
    pub kind: KeyKind,
    pub jwk: Option<&'static str>,
    pub spki: &'static [u8],
}

#[cfg(feature = "check")]
pub use check::*;

/// The checker's part: the TOML shape, its parse and the value the table holds.
#[cfg(feature = "check")]
mod check {
    use super::{JwksTimes, Jwt, StaticKey};
    use crate::alg::{Alg, KeyKind};
    use crate::jwk::{parse_jwk, parse_pem};
    use crate::kinds::forward::{check_forward, Forward};
    use crate::leak;
    use crate::lex::{check_url, is_token_byte, is_var_name, seconds, UrlPart};
    use serde::Deserialize;
    use std::collections::BTreeMap;

    /// `kind = "jwt"`: a signed JSON Web Token, verified against a secret, inline keys or a JWKS.
    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct JwtSpec {
        /// Allow-list of `alg` values, e.g. `["RS256", "ES256"]`. Anything else is rejected.
        pub algorithms: Vec<String>,
        /// Exact `iss` the token must carry.
        pub issuer: Option<String>,
        /// The token's `aud` must contain at least one of these.
        #[serde(default)]
        pub audiences: Vec<String>,
        /// Name of the wrangler secret holding the HMAC key (HS256/384/512).
        pub secret: Option<String>,
        /// URL of the identity provider's JSON Web Key Set; `${VAR}` parts resolve at runtime.
        pub jwks_url: Option<String>,
        /// Public keys written into the config (PEM or JWK).
        #[serde(default)]
        pub keys: Vec<InlineKeySpec>,
        /// Reject tokens without `exp` (default true).
        pub require_exp: Option<bool>,
        /// Clock skew allowed for `exp`, `nbf` and `iat` (default "30s").
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub leeway: Option<String>,
        /// Longest token accepted, in bytes (default 8192).
        pub max_token_bytes: Option<u32>,
        /// Also accept the token from this cookie.
        pub cookie: Option<String>,
        /// Also accept the token from this query parameter.
        pub query: Option<String>,
        /// Bounds for the JWKS cache lifetime taken from its Cache-Control (default 1m..24h).
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub jwks_min_ttl: Option<String>,
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub jwks_max_ttl: Option<String>,
        /// An unknown `kid` refetches the JWKS at most this often (default "30s").
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub jwks_refetch_interval: Option<String>,
        /// How long expired JWKS keys keep working while the IdP is unreachable (default "24h").
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub jwks_max_stale: Option<String>,
        /// Verified tokens are remembered per isolate for at most this long ("0s" turns it off;
        /// default "5m"), never beyond their `exp`.
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub token_cache_ttl: Option<String>,
        /// Claim name -> header sent to the origin, e.g. `{ sub = "x-user-id" }`.
        #[serde(default)]
        pub forward: BTreeMap<String, String>,
    }

    /// A public key in `keys = [...]`: exactly one of `pem` (SubjectPublicKeyInfo) or `jwk` (JSON).
    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct InlineKeySpec {
        pub kid: Option<String>,
        pub pem: Option<String>,
        pub jwk: Option<String>,
    }

    /// A public key from `keys = [...]`, classified at build time.
    #[derive(Debug)]
    pub struct InlineKey {
        pub kid: Option<String>,
        pub kind: KeyKind,
        /// Public JWK members as JSON, or `None` for a PEM key (then `der` holds its SPKI).
        pub jwk: Option<String>,
        pub der: Vec<u8>,
    }

    /// A `jwt` policy with defaults applied and everything parsed.
    #[derive(Debug)]
    pub struct JwtSettings {
        /// The settings as written (issuer, audiences, secret, cookie, query, require_exp).
        pub spec: JwtSpec,
        pub algorithms: Vec<Alg>,
        pub jwks_url: Option<Vec<UrlPart>>,
        pub keys: Vec<InlineKey>,
        pub leeway_s: u32,
        pub max_token_bytes: u32,
        pub min_ttl_s: u32,
        pub max_ttl_s: u32,
        pub refetch_interval_s: u32,
        pub max_stale_s: u32,
        pub token_cache_ttl_s: u32,
        pub forward: Forward,
    }

    /// Parses and checks a `jwt` policy: every problem, one line each.
    pub fn parse(spec: &JwtSpec) -> Result<JwtSettings, Vec<String>> {
        let mut errors = Vec::new();
        let mut algorithms = Vec::new();
        for name in &spec.algorithms {
            match Alg::parse(name) {
            Some(a) => algorithms.push(a),
            None if name.eq_ignore_ascii_case("none") => {
                errors.push("algorithms: \"none\" is never accepted".to_string())
            }
            None => errors.push(format!(
                "algorithms: unknown algorithm \"{name}\" (use HS256/384/512, RS256/384/512, PS256/384/512, ES256 or EdDSA)"
            )),
        }
        }
        if spec.algorithms.is_empty() {
            errors.push("algorithms: list at least one algorithm".into());
        }
        let hmac = algorithms.iter().any(|a| a.key_kind() == KeyKind::Hmac);
        let public = algorithms.iter().any(|a| a.key_kind() != KeyKind::Hmac);
        if hmac && spec.secret.is_none() {
            errors.push("HS* algorithms need `secret` (the name of a wrangler secret)".into());
        }
        if !hmac && spec.secret.is_some() {
            errors.push(
                "`secret` is only used by HS* algorithms; add one to `algorithms` or remove it"
                    .into(),
            );
        }
        if public && spec.jwks_url.is_none() && spec.keys.is_empty() {
            errors.push("RS*/PS*/ES256/EdDSA need `jwks_url` or `keys`".into());
        }
        if !public && (spec.jwks_url.is_some() || !spec.keys.is_empty()) {
            errors.push("`jwks_url` and `keys` are only used by public-key algorithms".into());
        }
        if let Some(secret) = &spec.secret {
            if !is_var_name(secret) {
                errors.push(format!("secret: \"{secret}\" is not a variable name (A-Z, 0-9, _); put the key itself in `wrangler secret put`"));
            }
        }
        let jwks_url = match spec.jwks_url.as_deref().map(check_url) {
            None => None,
            Some(Ok(parts)) => Some(parts),
            Some(Err(e)) => {
                errors.push(format!("jwks_url: {e}"));
                None
            }
        };
        let mut keys = Vec::new();
        for (n, k) in spec.keys.iter().enumerate() {
            let at = format!("keys[{n}]");
            let parsed = match (&k.pem, &k.jwk) {
                (Some(pem), None) => parse_pem(pem).map(|(kind, der)| (kind, None, der)),
                (None, Some(jwk)) => serde_json::from_str::<serde_json::Value>(jwk)
                    .map_err(|_| "jwk is not JSON".to_string())
                    .and_then(|v| parse_jwk(&v))
                    .and_then(|k| {
                        k.ok_or_else(|| {
                            "jwk: only RSA, EC P-256 and Ed25519 public keys are accepted"
                                .to_string()
                        })
                    })
                    .map(|k| match k.material {
                        crate::jwk::KeyMaterial::Jwk(json) => (k.kind, Some(json), Vec::new()),
                        crate::jwk::KeyMaterial::Spki(der) => (k.kind, None, der),
                    }),
                _ => Err("give exactly one of `pem` or `jwk`".into()),
            };
            match parsed {
                Ok((kind, jwk, der)) => {
                    if !algorithms.iter().any(|a| a.key_kind() == kind) {
                        errors.push(format!(
                            "{at}: a {kind:?} key, but no algorithm in `algorithms` uses it"
                        ));
                    }
                    keys.push(InlineKey {
                        kid: k.kid.clone(),
                        kind,
                        jwk,
                        der,
                    });
                }
                Err(e) => errors.push(format!("{at}: {e}")),
            }
        }
        let mut get = |key: &str, v: &Option<String>, default: u32, zero: bool| {
            seconds(key, v.as_deref(), default, zero).unwrap_or_else(|e| {
                errors.push(e);
                default
            })
        };
        let leeway_s = get("leeway", &spec.leeway, 30, true);
        let min_ttl_s = get("jwks_min_ttl", &spec.jwks_min_ttl, 60, false);
        let max_ttl_s = get("jwks_max_ttl", &spec.jwks_max_ttl, 86_400, false);
        let refetch_interval_s = get(
            "jwks_refetch_interval",
            &spec.jwks_refetch_interval,
            30,
            false,
        );
        let max_stale_s = get("jwks_max_stale", &spec.jwks_max_stale, 86_400, true);
        let token_cache_ttl_s = get("token_cache_ttl", &spec.token_cache_ttl, 300, true);
        if leeway_s > 300 {
            errors.push("leeway: at most 5m".into());
        }
        if min_ttl_s > max_ttl_s {
            errors.push("jwks_min_ttl is greater than jwks_max_ttl".into());
        }
        let max_token_bytes = spec.max_token_bytes.unwrap_or(8192);
        if !(256..=65_536).contains(&max_token_bytes) {
            errors.push("max_token_bytes: between 256 and 65536".into());
        }
        for (what, v) in [("cookie", &spec.cookie), ("query", &spec.query)] {
            if v.as_deref()
                .is_some_and(|n| n.is_empty() || !n.bytes().all(is_token_byte))
            {
                errors.push(format!("{what}: not a valid {what} name"));
            }
        }
        for a in &spec.audiences {
            if a.is_empty() {
                errors.push("audiences: empty audience".into());
            }
        }
        let forward = check_forward(&spec.forward, None, &mut errors);
        if errors.is_empty() {
            Ok(JwtSettings {
                spec: spec.clone(),
                algorithms,
                jwks_url,
                keys,
                leeway_s,
                max_token_bytes,
                min_ttl_s,
                max_ttl_s,
                refetch_interval_s,
                max_stale_s,
                token_cache_ttl_s,
                forward,
            })
        } else {
            Err(errors)
        }
    }

    impl JwtSettings {
        /// The table's `jwt` policy; `index` is its place in the table.
        pub fn policy(&self, name: &str, index: usize) -> Jwt {
            let j = &self.spec;
            let keys = self
                .keys
                .iter()
                .map(|k| StaticKey {
                    kid: leak::opt(k.kid.as_deref()),
                    kind: k.kind,
                    jwk: leak::opt(k.jwk.as_deref()),
                    spki: leak::slice(k.der.clone()),
                })
                .collect();
            Jwt {
                name: leak::str(name),
                index: index as u16,
                algorithms: leak::slice(self.algorithms.clone()),
                issuer: leak::opt(j.issuer.as_deref()),
                audiences: leak::strs(&j.audiences),
                secret: leak::opt(j.secret.as_deref()),
                jwks_url: self.jwks_url.as_deref().map(leak::url),
                keys: leak::slice(keys),
                require_exp: j.require_exp.unwrap_or(true),
                leeway_s: self.leeway_s,
                max_token_bytes: self.max_token_bytes,
                cookie: leak::opt(j.cookie.as_deref()),
                query: leak::opt(j.query.as_deref()),
                jwks: JwksTimes {
                    min_ttl_s: self.min_ttl_s,
                    max_ttl_s: self.max_ttl_s,
                    refetch_interval_s: self.refetch_interval_s,
                    max_stale_s: self.max_stale_s,
                },
                token_cache_ttl_s: self.token_cache_ttl_s,
                forward: leak::pairs(&self.forward),
            }
        }
    }
}

//! Build-time checks for the authentication policies (`jwt`, `api_key`, `mtls`, `require`,
//! `any`) and the settings `emit.rs` writes for them. Each `*_settings` function is the single
//! source of both: `check` reports its errors, `emit` uses its value.
//!
//! Included by `build.rs` and native tests through `#[path]`, next to `check`, `schema`,
//! `reserved`, `alg` and `jwk`.

use super::alg::{Alg, KeyKind};
use super::check::{check_url, is_token_byte, parse_duration_ms, UrlPart};
use super::jwk::{parse_jwk, parse_pem};
use super::reserved::{GATEWAY_OWNED_HEADERS, HOP_BY_HOP_HEADERS};
use super::schema::{ApiKeySpec, JwtSpec, MtlsSpec, RequireSpec};

/// A `forward` map: (identity field, lower-case header).
pub type Forward = Vec<(String, String)>;

/// A public key from `keys = [...]`, classified at build time.
#[derive(Debug)]
pub struct InlineKey {
    pub kid: Option<String>,
    pub kind: KeyKind,
    /// Public JWK members as JSON, or `None` for a PEM key (then `der` holds its SPKI).
    pub jwk: Option<String>,
    pub der: Vec<u8>,
}

/// An `api_key` policy with defaults applied.
#[derive(Debug)]
pub struct ApiKeySettings {
    pub cache_ttl_s: u32,
    pub forward: Forward,
}

/// An `mtls` policy with fingerprints normalised to lower-case hex.
#[derive(Debug)]
pub struct MtlsSettings {
    pub fingerprints: Vec<String>,
    pub forward: Forward,
}

/// A `jwt` policy with defaults applied and everything parsed.
#[derive(Debug)]
pub struct JwtSettings {
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

pub fn jwt_settings(spec: &JwtSpec) -> Result<JwtSettings, Vec<String>> {
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
            "`secret` is only used by HS* algorithms; add one to `algorithms` or remove it".into(),
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
                        "jwk: only RSA, EC P-256 and Ed25519 public keys are accepted".to_string()
                    })
                })
                .map(|k| match k.material {
                    super::jwk::KeyMaterial::Jwk(json) => (k.kind, Some(json), Vec::new()),
                    super::jwk::KeyMaterial::Spki(der) => (k.kind, None, der),
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
    let secs =
        |key: &str, v: &Option<String>, default: u32, allow_zero: bool| -> Result<u32, String> {
            match v.as_deref() {
                None => Ok(default),
                Some("0s" | "0") if allow_zero => Ok(0),
                Some(s) => parse_duration_ms(s)
                    .map(|ms| (ms / 1000).min(u32::MAX as u64) as u32)
                    .map_err(|e| format!("{key}: {e}")),
            }
        };
    let mut get = |key: &str, v: &Option<String>, default: u32, zero: bool| {
        secs(key, v, default, zero).unwrap_or_else(|e| {
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

pub fn api_key_settings(spec: &ApiKeySpec) -> Result<ApiKeySettings, Vec<String>> {
    let mut errors = Vec::new();
    if !is_var_name(&spec.store) {
        errors.push(format!(
            "store: \"{}\" is not a KV binding name (A-Z, 0-9, _)",
            spec.store
        ));
    }
    for (what, v) in [("header", &spec.header), ("query", &spec.query)] {
        if v.as_deref()
            .is_some_and(|n| n.is_empty() || !n.bytes().all(is_token_byte))
        {
            errors.push(format!("{what}: not a valid {what} name"));
        }
    }
    if let Some(h) = &spec.header {
        if h.eq_ignore_ascii_case("authorization") || h.eq_ignore_ascii_case("cookie") {
            errors.push(format!(
                "header: \"{h}\" cannot carry an API key; use a dedicated header such as x-api-key"
            ));
        }
    }
    let cache_ttl_s = match spec.cache_ttl.as_deref().map(parse_duration_ms) {
        None => 30,
        Some(Ok(ms)) if ms <= 60_000 => (ms / 1000) as u32,
        Some(Ok(_)) => {
            errors.push(
                "cache_ttl: at most 60s, so a revoked key stops working within a minute".into(),
            );
            30
        }
        Some(Err(e)) => {
            errors.push(format!("cache_ttl: {e}"));
            30
        }
    };
    let forward = check_forward(
        &spec.forward,
        Some(&["id", "name", "plan", "scopes"]),
        &mut errors,
    );
    if errors.is_empty() {
        Ok(ApiKeySettings {
            cache_ttl_s,
            forward,
        })
    } else {
        Err(errors)
    }
}

pub fn mtls_settings(spec: &MtlsSpec) -> Result<MtlsSettings, Vec<String>> {
    let mut errors = Vec::new();
    let mut fingerprints = Vec::new();
    for f in &spec.fingerprints {
        let hex: String = f
            .chars()
            .filter(|c| *c != ':')
            .collect::<String>()
            .to_ascii_lowercase();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            errors.push(format!(
                "fingerprints: \"{f}\" is not a SHA-256 fingerprint (64 hex digits)"
            ));
        }
        fingerprints.push(hex);
    }
    let forward = check_forward(
        &spec.forward,
        Some(&["subject_dn", "issuer_dn", "fingerprint", "serial"]),
        &mut errors,
    );
    if errors.is_empty() {
        Ok(MtlsSettings {
            fingerprints,
            forward,
        })
    } else {
        Err(errors)
    }
}

pub fn check_require(spec: &RequireSpec, errors: &mut Vec<String>) {
    if spec.scopes.is_empty()
        && spec.any_scopes.is_empty()
        && spec.roles.is_empty()
        && spec.claims.is_empty()
    {
        errors.push("require nothing: list scopes, any_scopes, roles or claims".into());
    }
    for s in spec.scopes.iter().chain(&spec.any_scopes) {
        if s.is_empty()
            || !s
                .bytes()
                .all(|b| b > b' ' && b < 0x7f && b != b'"' && b != b'\\')
        {
            errors.push(format!("scope \"{s}\" is not a valid scope token"));
        }
    }
    for rule in &spec.claims {
        let n = [
            rule.equals.is_some(),
            rule.one_of.is_some(),
            rule.contains.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if n != 1 {
            errors.push(format!(
                "claims: rule for \"{}\" needs exactly one of equals, one_of, contains",
                rule.claim
            ));
        }
    }
}

/// Checks a `forward` map (field -> header) and returns it with lower-case header names.
fn check_forward(
    forward: &std::collections::BTreeMap<String, String>,
    fields: Option<&[&str]>,
    errors: &mut Vec<String>,
) -> Forward {
    let mut out = Vec::new();
    for (field, header) in forward {
        let lower = header.to_ascii_lowercase();
        if let Some(fields) = fields {
            if !fields.contains(&field.as_str()) {
                errors.push(format!(
                    "forward: unknown field \"{field}\" (use {})",
                    fields.join(", ")
                ));
            }
        }
        if header.is_empty() || !header.bytes().all(is_token_byte) {
            errors.push(format!("forward: \"{header}\" is not a valid header name"));
        } else if GATEWAY_OWNED_HEADERS.contains(&lower.as_str())
            || HOP_BY_HOP_HEADERS.contains(&lower.as_str())
            || ["authorization", "cookie", "host"].contains(&lower.as_str())
        {
            errors.push(format!(
                "forward: header \"{header}\" cannot carry identity"
            ));
        }
        out.push((field.clone(), lower));
    }
    out
}

fn is_var_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A `rate_limit` policy with everything parsed (limits as (name, limit, window_ms, algorithm
/// source text, burst)).
#[derive(Debug)]
pub struct RateLimitSettings {
    /// Key parts in emit syntax, e.g. `KeyPart::Claim("org")`.
    pub key: Vec<String>,
    pub limits: Vec<LimitSettings>,
    pub plans: Vec<(String, Vec<LimitSettings>)>,
    pub fail_closed: bool,
    pub timeout_ms: u32,
    /// Leased mode's batch size (0 = exact mode) and lease lifetime.
    pub lease: u32,
    pub lease_ttl_ms: u32,
    /// Whether the key needs an identity (consumer or claim parts).
    pub needs_identity: bool,
}

#[derive(Debug)]
pub struct LimitSettings {
    pub name: String,
    pub limit: u64,
    pub window_ms: u64,
    /// `Algorithm` in emit syntax.
    pub algorithm: String,
}

pub fn rate_limit_settings(
    spec: &super::schema::RateLimitSpec,
    plans: &[String],
) -> Result<RateLimitSettings, Vec<String>> {
    use super::schema::KeySpec;
    let mut errors = Vec::new();
    let parts: Vec<String> = match &spec.key {
        KeySpec::One(k) => vec![k.clone()],
        KeySpec::Many(k) => k.clone(),
    };
    if parts.is_empty() {
        errors.push("key: name at least one part".into());
    }
    let mut key = Vec::new();
    let mut needs_identity = false;
    for p in &parts {
        let emitted = match p.split_once(':') {
            None if p == "ip" => "KeyPart::Ip".to_string(),
            None if p == "consumer" => {
                needs_identity = true;
                "KeyPart::Consumer".to_string()
            }
            None if p == "route" => "KeyPart::Route".to_string(),
            None if p == "global" => "KeyPart::Global".to_string(),
            Some(("claim", c)) if !c.is_empty() => {
                needs_identity = true;
                format!("KeyPart::Claim({c:?})")
            }
            Some(("header", h)) if !h.is_empty() && h.bytes().all(is_token_byte) => {
                format!("KeyPart::Header({:?})", h.to_ascii_lowercase())
            }
            _ => {
                errors.push(format!("key: unknown part \"{p}\" (use ip, consumer, claim:<name>, header:<name>, route, global)"));
                continue;
            }
        };
        key.push(emitted);
    }
    let limits = check_limits(&spec.limits, "limits", &mut errors);
    let mut plan_limits = Vec::new();
    for (plan, list) in &spec.plans {
        if !plans.contains(plan) {
            errors.push(format!(
                "plans: plan \"{plan}\" is not declared in [gateway] plans"
            ));
        }
        plan_limits.push((
            plan.clone(),
            check_limits(list, &format!("plans.{plan}"), &mut errors),
        ));
    }
    let fail_closed = match spec.fail.as_deref() {
        None | Some("open") => false,
        Some("closed") => true,
        Some(other) => {
            errors.push(format!("fail: \"{other}\" is not \"open\" or \"closed\""));
            false
        }
    };
    let timeout_ms = match spec.timeout.as_deref().map(parse_duration_ms) {
        None => 1_000,
        Some(Ok(ms)) if ms <= 10_000 => ms as u32,
        Some(Ok(_)) => {
            errors.push("timeout: at most 10s".into());
            1_000
        }
        Some(Err(e)) => {
            errors.push(format!("timeout: {e}"));
            1_000
        }
    };
    let (lease, lease_ttl_ms) = lease_settings(spec, &mut errors);
    if errors.is_empty() {
        Ok(RateLimitSettings {
            key,
            limits,
            plans: plan_limits,
            fail_closed,
            timeout_ms,
            lease,
            lease_ttl_ms,
            needs_identity,
        })
    } else {
        Err(errors)
    }
}

/// `mode`, `lease` and `lease_ttl`: (0, 0) in exact mode.
fn lease_settings(spec: &super::schema::RateLimitSpec, errors: &mut Vec<String>) -> (u32, u32) {
    match spec.mode.as_deref() {
        None | Some("exact") => {
            if spec.lease.is_some() || spec.lease_ttl.is_some() {
                errors.push("lease, lease_ttl: only used with mode = \"leased\"".into());
            }
            return (0, 0);
        }
        Some("leased") => {}
        Some(other) => {
            errors.push(format!("mode: \"{other}\" is not \"exact\" or \"leased\""));
            return (0, 0);
        }
    }
    let lease = spec.lease.unwrap_or(10);
    // A lease larger than a limit (or a bucket's burst) could never be granted whole.
    let smallest = spec
        .limits
        .iter()
        .chain(spec.plans.values().flatten())
        .map(|l| l.burst.unwrap_or(l.limit).min(l.limit))
        .min()
        .unwrap_or(0);
    if lease == 0 || lease > 1_000 {
        errors.push("lease: between 1 and 1000 permits".into());
    } else if lease > smallest {
        errors.push(format!(
            "lease: {lease} is more than the smallest limit or burst ({smallest}); lower it"
        ));
    }
    let ttl = match spec.lease_ttl.as_deref().map(parse_duration_ms) {
        None => 1_000,
        Some(Ok(ms)) if (100..=60_000).contains(&ms) => ms as u32,
        Some(Ok(_)) => {
            errors.push("lease_ttl: between 100ms and 60s".into());
            1_000
        }
        Some(Err(e)) => {
            errors.push(format!("lease_ttl: {e}"));
            1_000
        }
    };
    (lease.min(1_000) as u32, ttl)
}

fn check_limits(
    list: &[super::schema::LimitSpec],
    at: &str,
    errors: &mut Vec<String>,
) -> Vec<LimitSettings> {
    if list.is_empty() {
        errors.push(format!("{at}: list at least one limit"));
    }
    let mut out: Vec<LimitSettings> = Vec::new();
    for l in list {
        let ctx = format!("{at}: limit \"{}\"", l.name);
        if l.name.is_empty()
            || !l
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            errors.push(format!("{ctx}: names use a-z, 0-9, '-' and '_'"));
        }
        if out.iter().any(|o| o.name == l.name) {
            errors.push(format!("{ctx}: duplicate name"));
        }
        if l.limit == 0 {
            errors.push(format!("{ctx}: limit must be at least 1"));
        }
        let (window_ms, algorithm) = match (&l.window, &l.per, l.algorithm.as_deref()) {
            (None, Some(per), None) => match per.as_str() {
                "day" => (
                    86_400_000,
                    "Algorithm::Calendar(crate::ratelimit::calendar::Period::Day)".to_string(),
                ),
                "month" => (
                    2_592_000_000,
                    "Algorithm::Calendar(crate::ratelimit::calendar::Period::Month)".to_string(),
                ),
                other => {
                    errors.push(format!(
                        "{ctx}: per = \"{other}\": use \"day\" or \"month\""
                    ));
                    continue;
                }
            },
            (Some(w), None, algorithm) => {
                let Ok(ms) =
                    parse_duration_ms(w).map_err(|e| errors.push(format!("{ctx}: window: {e}")))
                else {
                    continue;
                };
                let a = match algorithm.unwrap_or("sliding_window") {
                    "sliding_window" => "Algorithm::SlidingWindow".to_string(),
                    "fixed_window" => "Algorithm::FixedWindow".to_string(),
                    "token_bucket" => {
                        let burst = l.burst.unwrap_or(l.limit);
                        if burst == 0 {
                            errors.push(format!("{ctx}: burst must be at least 1"));
                        }
                        format!("Algorithm::TokenBucket {{ burst: {burst} }}")
                    }
                    other => {
                        errors.push(format!("{ctx}: algorithm \"{other}\": use sliding_window, fixed_window or token_bucket"));
                        continue;
                    }
                };
                (ms, a)
            }
            (Some(_), Some(_), _) => {
                errors.push(format!("{ctx}: give `window` or `per`, not both"));
                continue;
            }
            (None, Some(_), Some(_)) => {
                errors.push(format!("{ctx}: calendar quotas (`per`) take no algorithm"));
                continue;
            }
            (None, None, _) => {
                errors.push(format!(
                    "{ctx}: give `window` (e.g. \"1m\") or `per` (\"day\" or \"month\")"
                ));
                continue;
            }
        };
        if l.burst.is_some() && !algorithm.starts_with("Algorithm::TokenBucket") {
            errors.push(format!("{ctx}: burst is only used by token_bucket"));
        }
        out.push(LimitSettings {
            name: l.name.clone(),
            limit: l.limit,
            window_ms,
            algorithm,
        });
    }
    out
}

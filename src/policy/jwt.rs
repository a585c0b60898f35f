//! `kind = "jwt"`: verifies a JSON Web Token and makes its claims the request's identity.
//!
//! Order of checks: find the token (Authorization `Bearer`, then the configured cookie, then
//! the query parameter) -> size limit -> verified-token cache -> JOSE header rules
//! ([`jose_header`]: `crit`, `b64`, `cty`, `typ`, JWE headers, repeated members) -> parse -> `alg` in the
//! allow-list -> signature (HMAC with jwt-compact; RSA, ECDSA and EdDSA through the
//! backend, WebCrypto in the worker) -> `exp`, `nbf`, `iat` with leeway -> `iss` -> `aud`.
//! Claims are only looked at once the signature holds.

use crate::auth::backend::{AuthBackend, BackendError};
use crate::auth::jwk::{KeyMaterial, PublicJwk};
use crate::auth::jwks::{self, JwksSource, Need};
use crate::auth::ttl_cache::TtlCache;
use crate::auth::{credentials, jose_header, Alg, AuthError, Denied, Identity, KeyKind, Scheme};
use crate::slots::Slots;
use jwt_compact::alg::{Hs256, Hs256Key, Hs384, Hs384Key, Hs512, Hs512Key};
use jwt_compact::{AlgorithmExt, Claims, TimeOptions, UntrustedToken, ValidationError};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::rc::Rc;

pub use gatehouse_config::kinds::jwt::{Jwt, StaticKey};

/// Verified tokens remembered per isolate, at most (for every `jwt` policy together).
pub const TOKEN_CACHE_CAPACITY: usize = 4096;

thread_local! {
    static VERIFIED: RefCell<TtlCache<(usize, [u8; 32]), Identity>> =
        RefCell::new(TtlCache::new(TOKEN_CACHE_CAPACITY));
    static STATIC_KEYS: RefCell<Slots<Rc<Vec<PublicJwk>>>> = const { RefCell::new(Slots::new()) };
}

/// Where this policy's JWKS comes from (the runtime fetches and keeps it).
pub fn jwks_source(jwt: &Jwt) -> JwksSource {
    JwksSource {
        policy: jwt.name,
        index: usize::from(jwt.index),
        url: jwt.jwks_url.unwrap_or(&[]),
        times: jwt.jwks,
    }
}

/// Authenticates the request or says why not.
pub async fn authenticate<B: AuthBackend>(jwt: &'static Jwt, b: &B) -> Result<Identity, AuthError> {
    let deny = |d| AuthError::Denied(Scheme::Bearer, d);
    let token = find_token(jwt, b).map_err(deny)?;
    if token.len() > jwt.max_token_bytes as usize {
        return Err(deny(Denied::TooLarge {
            limit: jwt.max_token_bytes,
        }));
    }
    let now = b.now_s();
    let cache_key = (jwt.token_cache_ttl_s > 0)
        .then(|| (id(jwt), <[u8; 32]>::from(Sha256::digest(token.as_bytes()))));
    if let Some(key) = &cache_key {
        if let Some(identity) = VERIFIED.with(|c| c.borrow().get(key, now)) {
            return Ok(identity);
        }
    }

    jose_header::check(&token).map_err(deny)?;
    let untrusted = UntrustedToken::new(&token).map_err(|_| deny(Denied::Malformed))?;
    let alg = Alg::parse(untrusted.algorithm())
        .filter(|a| jwt.algorithms.contains(a))
        .ok_or_else(|| {
            let alg: String = untrusted
                .algorithm()
                .chars()
                .filter(char::is_ascii_graphic)
                .take(20)
                .collect();
            deny(Denied::AlgorithmNotAllowed { alg })
        })?;
    let claims = if alg.key_kind() == KeyKind::Hmac {
        verify_hmac(jwt, b, alg, &untrusted)?
    } else {
        verify_public(jwt, b, alg, &token, &untrusted).await?;
        untrusted
            .deserialize_claims_unchecked::<Map<String, Value>>()
            .map_err(|_| deny(Denied::Malformed))?
    };
    check_claims(jwt, &claims, now).map_err(deny)?;

    let exp = claims.expiration.map(|e| e.timestamp() as f64);
    // `sub` is a string (RFC 7519 4.1.2), or a number read as its digits. An array, object or
    // boolean names no subject: its JSON text would be a consumer id that another token's
    // string `sub` could spell (`[false]`, `true`).
    let named = claims
        .custom
        .get("sub")
        .is_some_and(|s| s.is_string() || s.is_number());
    let identity = Identity::from_claims(jwt.name, "sub", claims.custom);
    // Without a subject every such token would be one consumer (one rate-limit bucket,
    // one cache partition).
    if !named || identity.subject.is_empty() {
        return Err(deny(Denied::NoSubject));
    }
    if let Some(key) = cache_key {
        let until = (now + jwt.token_cache_ttl_s as f64).min(exp.unwrap_or(f64::MAX));
        VERIFIED.with(|c| c.borrow_mut().insert(key, identity.clone(), until, now));
    }
    Ok(identity)
}

/// Time claims with leeway, then `iss` and `aud`.
pub fn check_claims(
    jwt: &Jwt,
    claims: &Claims<Map<String, Value>>,
    now: f64,
) -> Result<(), Denied> {
    let now = chrono::DateTime::from_timestamp(now as i64, 0).unwrap_or_default();
    let options = TimeOptions::new(chrono::Duration::seconds(jwt.leeway_s as i64), move || now);
    if claims.expiration.is_some() || jwt.require_exp {
        claims.validate_expiration(&options).map_err(|e| match e {
            ValidationError::NoClaim(_) => Denied::MissingExpiry,
            _ => Denied::Expired,
        })?;
    }
    if claims.not_before.is_some() {
        claims
            .validate_maturity(&options)
            .map_err(|_| Denied::NotYetValid)?;
    }
    if let Some(iat) = claims.issued_at {
        if iat > now + options.leeway {
            return Err(Denied::IssuedInFuture);
        }
    }
    if let Some(issuer) = jwt.issuer {
        if claims.custom.get("iss").and_then(Value::as_str) != Some(issuer) {
            return Err(Denied::WrongIssuer);
        }
    }
    if !jwt.audiences.is_empty() {
        let ok = match claims.custom.get("aud") {
            Some(Value::String(a)) => jwt.audiences.contains(&a.as_str()),
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .any(|a| jwt.audiences.contains(&a)),
            _ => false,
        };
        if !ok {
            return Err(Denied::WrongAudience);
        }
    }
    Ok(())
}

/// This policy's key in per-isolate caches.
fn id(jwt: &'static Jwt) -> usize {
    usize::from(jwt.index)
}

/// The raw token: `Authorization: Bearer`, else the cookie, else the query parameter.
fn find_token<B: AuthBackend>(jwt: &Jwt, b: &B) -> Result<String, Denied> {
    let authorization = b.header("authorization");
    if let Some(t) = credentials::bearer(authorization.as_deref())? {
        return Ok(t.to_string());
    }
    if let Some(name) = jwt.cookie {
        let cookies = b.header("cookie");
        if let Some(t) = credentials::cookie(cookies.as_deref(), name)? {
            return Ok(t.to_string());
        }
    }
    if let Some(name) = jwt.query {
        if let Some(t) = credentials::query_param(b.query(), name)? {
            return Ok(t.to_string());
        }
    }
    Err(Denied::Missing)
}

fn verify_hmac<B: AuthBackend>(
    jwt: &Jwt,
    b: &B,
    alg: Alg,
    token: &UntrustedToken,
) -> Result<Claims<Map<String, Value>>, AuthError> {
    let name = jwt.secret.unwrap_or("");
    let secret = b.secret(name).ok_or_else(|| {
        AuthError::Failed(BackendError::Misconfigured {
            detail: format!("secret {name} is not set (`wrangler secret put {name}`)"),
        })
    })?;
    // RFC 7518 3.2: the key must be at least as long as the hash output.
    if secret.len() < 32 {
        return Err(AuthError::Failed(BackendError::Misconfigured {
            detail: format!("secret {name} is shorter than 32 bytes"),
        }));
    }
    let result = match alg {
        Alg::Hs256 => Hs256.validator(&Hs256Key::new(&secret)).validate(token),
        Alg::Hs384 => Hs384.validator(&Hs384Key::new(&secret)).validate(token),
        _ => Hs512.validator(&Hs512Key::new(&secret)).validate(token),
    };
    match result {
        Ok(t) => Ok(t.claims().clone()),
        Err(ValidationError::MalformedClaims(_)) => {
            Err(AuthError::Denied(Scheme::Bearer, Denied::Malformed))
        }
        Err(_) => Err(AuthError::Denied(Scheme::Bearer, Denied::BadSignature)),
    }
}

async fn verify_public<B: AuthBackend>(
    jwt: &'static Jwt,
    b: &B,
    alg: Alg,
    token: &str,
    untrusted: &UntrustedToken<'_>,
) -> Result<(), AuthError> {
    let deny = |d| AuthError::Denied(Scheme::Bearer, d);
    let kid = untrusted.header().key_id.as_deref();
    let signing_input = token.rsplit_once('.').map_or("", |(s, _)| s);
    // Inline keys first, then the JWKS.
    let inline = static_keys(jwt);
    let mut fetched = Rc::new(Vec::new());
    if jwt.jwks_url.is_some() {
        fetched = b
            .jwks(jwks_source(jwt), Need::Keys)
            .await
            .map_err(AuthError::Failed)?;
        let unknown =
            kid.is_some_and(|k| !jwks::knows_kid(&inline, k) && !jwks::knows_kid(&fetched, k));
        if unknown {
            fetched = b
                .jwks(jwks_source(jwt), Need::UnknownKid)
                .await
                .map_err(AuthError::Failed)?;
        }
    }
    let found: Vec<&PublicJwk> = [&inline, &fetched]
        .into_iter()
        .flat_map(|keys| jwks::candidates(keys, kid, alg).unwrap_or_default())
        .take(jwks::MAX_CANDIDATES)
        .collect();
    if found.is_empty() {
        return Err(deny(Denied::UnknownKey));
    }
    for key in found {
        if b.verify(key, alg, signing_input, untrusted.signature_bytes())
            .await
        {
            return Ok(());
        }
    }
    Err(deny(Denied::BadSignature))
}

/// Inline keys as [`PublicJwk`]s, built once per isolate.
fn static_keys(jwt: &'static Jwt) -> Rc<Vec<PublicJwk>> {
    STATIC_KEYS.with(|m| {
        m.borrow_mut()
            .get_or_insert_with(id(jwt), || {
                Rc::new(
                    jwt.keys
                        .iter()
                        .map(|k| PublicJwk {
                            kid: k.kid.map(str::to_string),
                            kind: k.kind,
                            alg: None,
                            material: match k.jwk {
                                Some(json) => KeyMaterial::Jwk(json.to_string()),
                                None => KeyMaterial::Spki(k.spki.to_vec()),
                            },
                        })
                        .collect(),
                )
            })
            .clone()
    })
}

/// Number of tokens in this isolate's verified-token cache (for tests and diagnostics).
pub fn verified_cache_len() -> usize {
    VERIFIED.with(|c| c.borrow().len())
}

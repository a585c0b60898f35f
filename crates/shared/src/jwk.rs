//! Public keys as JSON Web Keys (RFC 7517) and PEM: parsing, classification and the checks
//! that keep the wrong kind of key out. Used at build time (inline keys in routes/) and at
//! runtime (JWKS documents).
//!
//! Rules: symmetric (`oct`) keys are never taken from a JWKS or config, keys marked
//! `"use": "enc"` are skipped, and only RSA, EC P-256 and OKP Ed25519 keys are kept. The JSON
//! handed to WebCrypto holds the public members only.

use super::alg::KeyKind;
use serde::Deserialize;

/// A verification key from a JWK.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicJwk {
    pub kid: Option<String>,
    pub kind: KeyKind,
    /// The JWK's own `alg`, when it pins one; a token with another `alg` may not use the key.
    pub alg: Option<String>,
    pub material: KeyMaterial,
}

/// The key as WebCrypto imports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyMaterial {
    /// Public members only, as JSON, for `crypto.subtle.importKey("jwk", ...)`.
    Jwk(String),
    /// DER SubjectPublicKeyInfo, for `importKey("spki", ...)`.
    Spki(Vec<u8>),
}

#[derive(Deserialize)]
struct RawJwk {
    kty: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

/// Parses one JWK. `Ok(None)` for a key Gatehouse deliberately ignores (symmetric,
/// encryption-only, other curves); `Err` for a key that is broken.
#[inline]
pub fn parse_jwk(json: &serde_json::Value) -> Result<Option<PublicJwk>, String> {
    let raw: RawJwk = serde_json::from_value(json.clone()).map_err(|e| e.to_string())?;
    if raw.use_.as_deref().is_some_and(|u| u != "sig") {
        return Ok(None);
    }
    let member = |name: &str, v: &Option<String>| -> Result<String, String> {
        let v = v
            .as_ref()
            .ok_or_else(|| format!("missing member `{name}`"))?;
        base64_decode(v, true).map_err(|e| format!("member `{name}`: {e}"))?;
        Ok(v.clone())
    };
    let (kind, public) = match (raw.kty.as_deref(), raw.crv.as_deref()) {
        (Some("RSA"), _) => {
            let (n, e) = (member("n", &raw.n)?, member("e", &raw.e)?);
            (
                KeyKind::Rsa,
                serde_json::json!({ "kty": "RSA", "n": n, "e": e }),
            )
        }
        (Some("EC"), Some("P-256")) => {
            let (x, y) = (member("x", &raw.x)?, member("y", &raw.y)?);
            let jwk = serde_json::json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y });
            (KeyKind::P256, jwk)
        }
        (Some("OKP"), Some("Ed25519")) => {
            let x = member("x", &raw.x)?;
            let jwk = serde_json::json!({ "kty": "OKP", "crv": "Ed25519", "x": x });
            (KeyKind::Ed25519, jwk)
        }
        (Some("oct" | "EC" | "OKP"), _) => return Ok(None),
        (Some(other), _) => return Err(format!("unsupported key type {other:?}")),
        (None, _) => return Err("missing member `kty`".into()),
    };
    Ok(Some(PublicJwk {
        kid: raw.kid,
        kind,
        alg: raw.alg,
        material: KeyMaterial::Jwk(public.to_string()),
    }))
}

/// Keys kept from one JWKS document, at most (an IdP publishes a handful; this bounds what
/// one isolate holds per `jwt` policy whatever the document holds).
pub const MAX_JWKS_KEYS: usize = 100;

/// Parses a JWKS document `{"keys": [...]}`, keeping the usable keys (the first
/// [`MAX_JWKS_KEYS`]) and skipping broken or ignored ones (one bad key must not take down the
/// others).
#[inline]
pub fn parse_jwks(body: &str) -> Result<Vec<PublicJwk>, String> {
    #[derive(Deserialize)]
    struct Set {
        keys: Vec<serde_json::Value>,
    }
    let set: Set = serde_json::from_str(body).map_err(|_| "not a JWKS document".to_string())?;
    Ok(set
        .keys
        .iter()
        .filter_map(|k| parse_jwk(k).ok().flatten())
        .take(MAX_JWKS_KEYS)
        .collect())
}

/// Decodes a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) and tells which kind of key it holds.
#[inline]
pub fn parse_pem(pem: &str) -> Result<(KeyKind, Vec<u8>), String> {
    let pem = pem.trim();
    if pem.contains("PRIVATE KEY") {
        return Err("this is a private key; only public keys belong in routes/".into());
    }
    let body = pem
        .strip_prefix("-----BEGIN PUBLIC KEY-----")
        .and_then(|r| r.strip_suffix("-----END PUBLIC KEY-----"))
        .ok_or(
            "expected a PEM block from -----BEGIN PUBLIC KEY----- to -----END PUBLIC KEY-----",
        )?;
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64_decode(&b64, false)?;
    if der.first() != Some(&0x30) {
        return Err("not a DER SubjectPublicKeyInfo".into());
    }
    const RSA: &[u8] = &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ];
    const EC: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    const ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
    let has = |oid: &[u8]| der.windows(oid.len()).any(|w| w == oid);
    let kind = if has(RSA) {
        KeyKind::Rsa
    } else if has(EC) && has(P256) {
        KeyKind::P256
    } else if has(ED25519) {
        KeyKind::Ed25519
    } else {
        return Err("unsupported key: use RSA, EC P-256 or Ed25519".into());
    };
    Ok((kind, der))
}

/// Standard or URL-safe base64, padding optional.
#[inline]
pub fn base64_decode(s: &str, url_safe: bool) -> Result<Vec<u8>, String> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' if url_safe => 62,
            b'_' if url_safe => 63,
            b'+' if !url_safe => 62,
            b'/' if !url_safe => 63,
            _ => return Err("invalid base64".into()),
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    if bits >= 6 {
        return Err("invalid base64 length".into());
    }
    Ok(out)
}

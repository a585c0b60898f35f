//! The authentication policies natively, with jwt-compact's own verifiers as the crypto
//! backend ([`support::TestBackend`]). The attack table here mirrors the end-to-end one in
//! tests/e2e/auth.test.mjs (which runs WebCrypto inside workerd): both must refuse the same
//! tokens for the same reasons.

#![cfg(not(target_arch = "wasm32"))] // uses native-only dev-dependencies (jwt-compact verifiers)
mod support;

use gatehouse::auth::jwk::{parse_jwk, PublicJwk};
use gatehouse::auth::jwks::Need;
use gatehouse::auth::{Alg, AuthError, Denied, KeyKind, Scheme};
use gatehouse::policy::jwt;
use gatehouse::policy::jwt::{Jwt, StaticKey};
use gatehouse::policy::Policy;
use jwt_compact::alg::{Ed25519, Es256, ModulusBits, Rsa, SigningKey};
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{Algorithm, AlgorithmSignature};
use std::sync::OnceLock;
use support::TestBackend;

const ISS: &str = "https://id.example/";
const SECRET: &str = "0123456789abcdef0123456789abcdef-hmac";

static USER_JWT: Jwt = clone_user();

static CACHED_JWT: Jwt = Jwt {
    name: "cached-jwt",
    index: 1,
    token_cache_ttl_s: 300,
    ..clone_user()
};

static HS_JWT: Jwt = Jwt {
    name: "hs-jwt",
    index: 2,
    algorithms: &[Alg::Hs256],
    secret: Some("JWT_SECRET"),
    jwks_url: None,
    ..clone_user()
};

const fn clone_user() -> Jwt {
    Jwt {
        name: "user-jwt",
        index: 0,
        algorithms: &[Alg::Rs256, Alg::Ps256, Alg::Es256, Alg::EdDsa],
        issuer: Some(ISS),
        audiences: &["api", "admin-api"],
        secret: None,
        jwks_url: Some(&[]),
        keys: &[],
        require_exp: true,
        leeway_s: 30,
        max_token_bytes: 8192,
        cookie: None,
        query: None,
        jwks: support::JWKS_TIMES,
        token_cache_ttl_s: 0,
        forward: &[("sub", "x-user-id")],
    }
}

/// Key pairs generated once per test run (no private keys in git).
struct Keys {
    rsa: (rsa::RsaPrivateKey, PublicJwk),
    p256: (<Es256 as Algorithm>::SigningKey, PublicJwk),
    ed: (<Ed25519 as Algorithm>::SigningKey, PublicJwk),
    other_rsa: rsa::RsaPrivateKey,
}

fn public(jwk: JsonWebKey, kid: &str) -> PublicJwk {
    let mut v = serde_json::to_value(&jwk).unwrap();
    v["kid"] = kid.into();
    parse_jwk(&v).unwrap().unwrap()
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rand_core::OsRng;
        let (rsa_sk, rsa_pk) = Rsa::generate(&mut rng, ModulusBits::TwoKibibytes).unwrap();
        let (other, _) = Rsa::generate(&mut rng, ModulusBits::TwoKibibytes).unwrap();
        let p256 = <Es256 as Algorithm>::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let p256_pk = SigningKey::<Es256>::to_verifying_key(&p256);
        let (ed_sk, ed_pk) = Ed25519::generate(&mut rng);
        Keys {
            rsa: (
                rsa_sk.into_inner(),
                public(JsonWebKey::from(&rsa_pk.into_inner()), "rsa-1"),
            ),
            p256: (p256, public(JsonWebKey::from(&p256_pk), "ec-1")),
            ed: (ed_sk, public(JsonWebKey::from(&ed_pk), "ed-1")),
            other_rsa: other.into_inner(),
        }
    })
}

fn b64(bytes: &[u8]) -> String {
    use std::fmt::Write;
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = String::new();
    for c in bytes.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, b)| a | (*b as u32) << (16 - 8 * i));
        for i in 0..=c.len() {
            let _ = write!(s, "{}", T[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    s
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as f64
}

fn claims(extra: serde_json::Value) -> serde_json::Value {
    let n = now() as i64;
    let mut c =
        serde_json::json!({ "iss": ISS, "aud": "api", "sub": "alice", "iat": n, "exp": n + 600 });
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

/// Signs `header.claims` with `alg`; `key` selects which key signs ("rsa", "other-rsa", "ec", "ed", or an HMAC secret).
fn sign(alg: &str, kid: Option<&str>, c: &serde_json::Value, key: &str) -> String {
    let mut h = serde_json::json!({ "alg": alg, "typ": "JWT" });
    if let Some(kid) = kid {
        h["kid"] = kid.into();
    }
    let input = format!(
        "{}.{}",
        b64(h.to_string().as_bytes()),
        b64(c.to_string().as_bytes())
    );
    let k = keys();
    let sig: Vec<u8> = match (alg, key) {
        ("RS256", "rsa") => Rsa::rs256()
            .sign(&k.rsa.0, input.as_bytes())
            .as_bytes()
            .to_vec(),
        ("RS256", "other-rsa") => Rsa::rs256()
            .sign(&k.other_rsa, input.as_bytes())
            .as_bytes()
            .to_vec(),
        ("PS256", "rsa") => Rsa::ps256()
            .sign(&k.rsa.0, input.as_bytes())
            .as_bytes()
            .to_vec(),
        ("ES256", "ec") => Es256.sign(&k.p256.0, input.as_bytes()).as_bytes().to_vec(),
        ("EdDSA", "ed") => Ed25519.sign(&k.ed.0, input.as_bytes()).as_bytes().to_vec(),
        ("HS256", secret) => {
            let key = jwt_compact::alg::Hs256Key::new(secret);
            jwt_compact::alg::Hs256
                .sign(&key, input.as_bytes())
                .as_bytes()
                .to_vec()
        }
        other => panic!("no signer for {other:?}"),
    };
    format!("{input}.{}", b64(&sig))
}

fn backend(token: &str) -> TestBackend {
    let k = keys();
    let mut b = TestBackend {
        now: now(),
        jwks: Some(vec![k.rsa.1.clone(), k.p256.1.clone(), k.ed.1.clone()]),
        ..TestBackend::default()
    };
    b.secrets.insert("JWT_SECRET", SECRET.to_string());
    b.with_header("authorization", &format!("Bearer {token}"))
}

fn run(policy: &'static Jwt, b: &TestBackend) -> Result<gatehouse::auth::Identity, AuthError> {
    futures::executor::block_on(jwt::authenticate(policy, b))
}

fn denied(policy: &'static Jwt, token: &str) -> Denied {
    match run(policy, &backend(token)) {
        Err(AuthError::Denied(Scheme::Bearer, d)) => d,
        other => panic!("expected a denial, got {other:?}"),
    }
}

#[test]
fn valid_tokens_of_every_public_key_algorithm_are_accepted() {
    for (alg, kid, key) in [
        ("RS256", "rsa-1", "rsa"),
        ("PS256", "rsa-1", "rsa"),
        ("ES256", "ec-1", "ec"),
        ("EdDSA", "ed-1", "ed"),
    ] {
        let token = sign(
            alg,
            Some(kid),
            &claims(serde_json::json!({ "scope": "a b" })),
            key,
        );
        let id = run(&USER_JWT, &backend(&token)).unwrap_or_else(|e| panic!("{alg}: {e:?}"));
        assert_eq!(id.subject, "alice");
        assert_eq!(id.scopes, ["a", "b"]);
    }
    // Without a kid, the keys of the right kind are tried.
    let token = sign("ES256", None, &claims(serde_json::json!({})), "ec");
    assert!(run(&USER_JWT, &backend(&token)).is_ok());
}

/// Issue 23, item 14: tokens without `sub` would all be one consumer (one rate-limit
/// bucket, one cache partition): refused.
#[test]
fn a_valid_token_without_a_subject_is_refused() {
    for sub in [serde_json::Value::Null, serde_json::json!("")] {
        let c = claims(serde_json::json!({ "sub": sub }));
        let token = sign("HS256", None, &c, SECRET);
        assert_eq!(denied(&HS_JWT, &token), Denied::NoSubject, "sub: {sub}");
    }
    let numeric = sign(
        "HS256",
        None,
        &claims(serde_json::json!({ "sub": 42 })),
        SECRET,
    );
    assert_eq!(run(&HS_JWT, &backend(&numeric)).unwrap().subject, "42");
    assert_eq!(
        Denied::NoSubject.describe(),
        "the credential names no subject (sub)"
    );
}

/// Issue 26 (found by `tests/properties_jwt.rs`): a `sub` that is an array, an object or a
/// boolean was taken as its JSON text (`[false]`, `true`), a consumer id a string `sub` could
/// spell: it names no subject.
#[test]
fn a_sub_that_is_not_a_string_or_a_number_names_no_subject() {
    for sub in [
        serde_json::json!([false]),
        serde_json::json!(["alice"]),
        serde_json::json!({ "id": "alice" }),
        serde_json::json!(true),
    ] {
        let c = claims(serde_json::json!({ "sub": sub }));
        let token = sign("HS256", None, &c, SECRET);
        assert_eq!(denied(&HS_JWT, &token), Denied::NoSubject, "sub: {sub}");
    }
}

#[test]
fn hmac_tokens_verify_with_the_secret_only() {
    let c = claims(serde_json::json!({}));
    assert!(run(&HS_JWT, &backend(&sign("HS256", None, &c, SECRET))).is_ok());
    assert_eq!(
        denied(
            &HS_JWT,
            &sign("HS256", None, &c, "another-secret-that-is-long-enough")
        ),
        Denied::BadSignature
    );
    // A short secret is a deployment error, not the client's fault.
    let mut b = backend(&sign("HS256", None, &c, "short"));
    b.secrets.insert("JWT_SECRET", "short".into());
    assert!(matches!(run(&HS_JWT, &b), Err(AuthError::Failed(_))));
}

/// The attack table. Each row: name, token, the reason it must be refused with.
#[test]
fn attack_table_is_refused_for_the_right_reason() {
    let n = now() as i64;
    let c = |extra| claims(extra);
    let good = sign("RS256", Some("rsa-1"), &c(serde_json::json!({})), "rsa");
    let (h, p, s) = {
        let mut it = good.split('.');
        (
            it.next().unwrap().to_string(),
            it.next().unwrap().to_string(),
            it.next().unwrap().to_string(),
        )
    };
    // The RSA public key's JWK text used as an HMAC secret (the classic confusion attack).
    let gatehouse::auth::jwk::KeyMaterial::Jwk(rsa_pem_as_secret) = keys().rsa.1.material.clone()
    else {
        unreachable!()
    };
    let none_header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let rows: Vec<(&str, String, Denied)> = vec![
        (
            "alg none",
            format!("{none_header}.{p}."),
            Denied::AlgorithmNotAllowed { alg: "none".into() },
        ),
        (
            "alg None (case variant)",
            format!("{}.{p}.", b64(br#"{"alg":"None","typ":"JWT"}"#)),
            Denied::AlgorithmNotAllowed { alg: "None".into() },
        ),
        (
            "alg confusion: HS256 signed with the RSA public key as the secret",
            sign(
                "HS256",
                Some("rsa-1"),
                &c(serde_json::json!({})),
                &rsa_pem_as_secret,
            ),
            Denied::AlgorithmNotAllowed {
                alg: "HS256".into(),
            },
        ),
        (
            "key-type confusion: ES256 header naming an RSA kid",
            sign("ES256", Some("rsa-1"), &c(serde_json::json!({})), "ec"),
            Denied::UnknownKey,
        ),
        (
            "kid with a path",
            sign(
                "RS256",
                Some("../../etc/passwd"),
                &c(serde_json::json!({})),
                "rsa",
            ),
            Denied::UnknownKey,
        ),
        (
            "kid with SQL",
            sign(
                "RS256",
                Some("' OR '1'='1"),
                &c(serde_json::json!({})),
                "rsa",
            ),
            Denied::UnknownKey,
        ),
        (
            "tampered payload",
            format!(
                "{h}.{}.{s}",
                b64(c(serde_json::json!({ "sub": "admin" }))
                    .to_string()
                    .as_bytes())
            ),
            Denied::BadSignature,
        ),
        (
            "stripped signature",
            format!("{h}.{p}."),
            Denied::BadSignature,
        ),
        (
            "signature from another key with the same kid",
            sign(
                "RS256",
                Some("rsa-1"),
                &c(serde_json::json!({})),
                "other-rsa",
            ),
            Denied::BadSignature,
        ),
        (
            "expired",
            sign(
                "RS256",
                Some("rsa-1"),
                &c(serde_json::json!({ "exp": n - 3600 })),
                "rsa",
            ),
            Denied::Expired,
        ),
        (
            "not yet valid (nbf)",
            sign(
                "RS256",
                Some("rsa-1"),
                &c(serde_json::json!({ "nbf": n + 3600 })),
                "rsa",
            ),
            Denied::NotYetValid,
        ),
        (
            "issued in the future (iat)",
            sign(
                "RS256",
                Some("rsa-1"),
                &c(serde_json::json!({ "iat": n + 3600 })),
                "rsa",
            ),
            Denied::IssuedInFuture,
        ),
        (
            "wrong issuer",
            sign(
                "RS256",
                Some("rsa-1"),
                &c(serde_json::json!({ "iss": "https://evil/" })),
                "rsa",
            ),
            Denied::WrongIssuer,
        ),
        (
            "wrong audience",
            sign(
                "RS256",
                Some("rsa-1"),
                &c(serde_json::json!({ "aud": ["other"] })),
                "rsa",
            ),
            Denied::WrongAudience,
        ),
        (
            "missing exp",
            sign(
                "RS256",
                Some("rsa-1"),
                &c(serde_json::json!({ "exp": null })),
                "rsa",
            ),
            Denied::MissingExpiry,
        ),
        (
            "exp as a string",
            sign(
                "RS256",
                Some("rsa-1"),
                &c(serde_json::json!({ "exp": "never" })),
                "rsa",
            ),
            Denied::Malformed,
        ),
        ("bad base64", "e30~.e30~.abc".into(), Denied::Malformed),
        ("two parts only", format!("{h}.{p}"), Denied::Malformed),
        ("four parts", format!("{good}.x"), Denied::Malformed),
        (
            "header is not JSON",
            format!("{}.{p}.c2ln", b64(b"not json")),
            Denied::Malformed,
        ),
        (
            "a token over 8 KiB",
            sign(
                "RS256",
                Some("rsa-1"),
                &c(serde_json::json!({ "pad": "x".repeat(9000) })),
                "rsa",
            ),
            Denied::TooLarge { limit: 8192 },
        ),
    ];
    // The rows follow the shared table, name for name, and refuse with its words.
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/jwt_attacks.json")).unwrap();
    let table: Vec<(&str, &str)> = fixture["attacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["refused"].as_str().unwrap()))
        .collect();
    let names: Vec<&str> = rows.iter().map(|(name, _, _)| *name).collect();
    let shared: Vec<&str> = table.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, shared, "tests/fixtures/jwt_attacks.json");
    for ((name, token, want), (_, refused)) in rows.into_iter().zip(table) {
        let got = denied(&USER_JWT, &token);
        assert_eq!(got, want, "{name}");
        assert!(
            got.describe().contains(refused),
            "{name}: {}",
            got.describe()
        );
    }
    // Leeway: 20 s past exp is still inside the 30 s leeway; 40 s is not.
    assert!(run(
        &USER_JWT,
        &backend(&sign(
            "RS256",
            Some("rsa-1"),
            &c(serde_json::json!({ "exp": n - 20 })),
            "rsa"
        ))
    )
    .is_ok());
    assert_eq!(
        denied(
            &USER_JWT,
            &sign(
                "RS256",
                Some("rsa-1"),
                &c(serde_json::json!({ "exp": n - 40 })),
                "rsa"
            )
        ),
        Denied::Expired
    );
}

#[test]
fn an_unknown_kid_asks_for_a_refetch_and_then_is_refused() {
    let token = sign(
        "RS256",
        Some("rotated-in"),
        &claims(serde_json::json!({})),
        "rsa",
    );
    let b = backend(&token);
    assert_eq!(
        run(&USER_JWT, &b).unwrap_err(),
        AuthError::Denied(Scheme::Bearer, Denied::UnknownKey)
    );
    assert_eq!(*b.jwks_calls.borrow(), [Need::Keys, Need::UnknownKid]);
    assert_eq!(b.verifies.get(), 0, "no signature work for an unknown key");
}

#[test]
fn an_unreachable_idp_with_no_keys_is_a_failure_not_a_denial() {
    let mut b = backend(&sign(
        "RS256",
        Some("rsa-1"),
        &claims(serde_json::json!({})),
        "rsa",
    ));
    b.jwks = None;
    assert!(matches!(run(&USER_JWT, &b), Err(AuthError::Failed(_))));
}

#[test]
fn the_verified_token_cache_skips_signature_work_for_a_repeated_token() {
    let token = sign(
        "RS256",
        Some("rsa-1"),
        &claims(serde_json::json!({ "sub": "cached" })),
        "rsa",
    );
    let b = backend(&token);
    for _ in 0..3 {
        assert_eq!(run(&CACHED_JWT, &b).unwrap().subject, "cached");
    }
    assert_eq!(b.verifies.get(), 1);
    // A policy without the cache verifies every time.
    let b = backend(&token);
    for _ in 0..3 {
        run(&USER_JWT, &b).unwrap();
    }
    assert_eq!(b.verifies.get(), 3);
}

#[test]
fn the_verified_token_cache_never_outlives_exp() {
    let n = now() as i64;
    let token = sign(
        "RS256",
        Some("rsa-1"),
        &claims(serde_json::json!({ "sub": "short", "exp": n + 5 })),
        "rsa",
    );
    let mut b = backend(&token);
    run(&CACHED_JWT, &b).unwrap();
    b.now += 60.0; // past exp + leeway
    assert_eq!(
        run(&CACHED_JWT, &b).unwrap_err(),
        AuthError::Denied(Scheme::Bearer, Denied::Expired)
    );
}

#[test]
fn inline_keys_need_no_jwks() {
    let gatehouse::auth::jwk::KeyMaterial::Jwk(json) = keys().p256.1.material.clone() else {
        unreachable!()
    };
    let inline: &'static Jwt = Box::leak(Box::new(Jwt {
        name: "inline",
        index: 3,
        algorithms: &[Alg::Es256],
        jwks_url: None,
        keys: Box::leak(Box::new([StaticKey {
            kid: Some("ec-1"),
            kind: KeyKind::P256,
            jwk: Some(Box::leak(json.into_boxed_str())),
            spki: &[],
        }])),
        ..clone_user()
    }));
    let token = sign("ES256", Some("ec-1"), &claims(serde_json::json!({})), "ec");
    let b = backend(&token);
    assert!(run(inline, &b).is_ok());
    assert!(b.jwks_calls.borrow().is_empty(), "no JWKS is asked for");
    // The inline key does not make other kinds of token acceptable.
    let rs = sign(
        "RS256",
        Some("rsa-1"),
        &claims(serde_json::json!({})),
        "rsa",
    );
    assert_eq!(
        run(inline, &backend(&rs)).unwrap_err(),
        AuthError::Denied(
            Scheme::Bearer,
            Denied::AlgorithmNotAllowed {
                alg: "RS256".into()
            }
        )
    );
}

#[test]
fn policies_forward_identity_headers_and_any_reports_the_real_failure() {
    use gatehouse::http::{HeaderEdit, HeaderList};
    use gatehouse::policy::any::Any;
    use gatehouse::policy::api_key::ApiKey;
    use gatehouse::policy::Inbound;
    static POLICIES: [Policy; 3] = [
        Policy::Jwt(clone_user()),
        Policy::ApiKey(ApiKey {
            name: "key",
            header: Some("x-api-key"),
            query: None,
            bearer: false,
            store: "API_KEYS",
            cache_ttl_s: 30,
            forward: &[("id", "x-consumer-id")],
        }),
        Policy::Any(Any { of: &[0, 1] }),
    ];
    let token = sign(
        "RS256",
        Some("rsa-1"),
        &claims(serde_json::json!({ "sub": "bob" })),
        "rsa",
    );
    let b = backend(&token);
    let mut up = HeaderList::from_pairs(&[]);
    let mut step = Inbound::new(&mut up, &b, "test-route");
    let flow = futures::executor::block_on(gatehouse::policy::on_request::<_, _, ()>(
        &POLICIES[2],
        &POLICIES,
        &mut step,
    ));
    assert!(flow.is_ok());
    assert_eq!(step.identity.as_ref().unwrap().subject, "bob");
    assert_eq!(up.get("x-user-id").as_deref(), Some("bob"));

    // Nothing sent: a 401 challenging both schemes.
    let b = TestBackend {
        now: now(),
        ..TestBackend::default()
    };
    let mut up = HeaderList::from_pairs(&[]);
    let mut step = Inbound::new(&mut up, &b, "test-route");
    let err = futures::executor::block_on(gatehouse::policy::on_request::<_, _, ()>(
        &POLICIES[2],
        &POLICIES,
        &mut step,
    ))
    .err()
    .unwrap();
    assert_eq!(err.status(), 401);
    assert_eq!(
        err.headers(),
        [(
            "www-authenticate",
            r#"Bearer realm="gatehouse", ApiKey realm="gatehouse", header="x-api-key""#.to_string()
        )]
    );
    // An expired token beats "no API key" as the reason given.
    let b = backend(&sign(
        "RS256",
        Some("rsa-1"),
        &claims(serde_json::json!({ "exp": 1 })),
        "rsa",
    ));
    let mut up = HeaderList::from_pairs(&[]);
    let mut step = Inbound::new(&mut up, &b, "test-route");
    let err = futures::executor::block_on(gatehouse::policy::on_request::<_, _, ()>(
        &POLICIES[2],
        &POLICIES,
        &mut step,
    ))
    .err()
    .unwrap();
    assert_eq!(err.detail(), "the token has expired");
}

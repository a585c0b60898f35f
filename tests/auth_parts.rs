//! The pure pieces of authentication: credential parsing, key handling, JWKS timing, caches,
//! API-key records, client certificates, `require` rules, identity headers and challenges.

use gatehouse::auth::backend::ClientCert;
use gatehouse::auth::credentials::{bearer, cookie, query_param, single_header};
use gatehouse::auth::jwk::{
    base64_decode, parse_jwk, parse_jwks, parse_pem, KeyMaterial, PublicJwk,
};
use gatehouse::auth::jwks::{
    candidates, fetched_keys, ttl_from_cache_control, JwksState, JwksTimes, KeySet, Need,
};
use gatehouse::auth::ttl_cache::TtlCache;
use gatehouse::auth::{Alg, Denied, Identity, KeyKind, Scheme};
use gatehouse::error::GatewayError;
use gatehouse::policy::api_key::{check_record, store_key, ConsumerRecord};
use gatehouse::policy::mtls;
use gatehouse::policy::mtls::Mtls;
use gatehouse::policy::require;
use gatehouse::policy::require::{ClaimRule, ClaimTest, Require};
use serde_json::json;

const EC_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEO7dzhvY0zelpwLH93413fo9X6YvN\n7gVhk/dWn24EFkpFDTajFCw84oEX6L3sWdURTR4GQuzdg3X+qmuCR8zSUw==\n-----END PUBLIC KEY-----\n";
const ED_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAHksaPsbBWyP6IsOh34+bsbLTIRP9MeUh2mtUgEvSn1M=\n-----END PUBLIC KEY-----\n";
const P384_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEzBiD+BEuiBK9QL1EzL+liv3+xsYge6n0\nXv6V0KfiW+c3xWrwZGqp58z9e7PpUhFVbdx2IIE61S2JhjyAnPaT6QJepODdGLY0\nqdqmhpupkfyHjbLqgY4P0hqqnP+9cRl/\n-----END PUBLIC KEY-----\n";

#[test]
fn bearer_header_parsing() {
    fn ok(h: &str) -> Option<&str> {
        bearer(Some(h)).unwrap()
    }
    assert_eq!(ok("Bearer abc.def.ghi"), Some("abc.def.ghi"));
    assert_eq!(ok("bearer abc"), Some("abc"));
    assert_eq!(ok("BEARER   abc"), Some("abc"));
    assert_eq!(ok("Bearer abc=="), Some("abc=="));
    assert_eq!(
        ok("Basic dXNlcjpwYXNz"),
        None,
        "another scheme is no bearer token"
    );
    assert_eq!(ok("Bearerabc"), None);
    assert_eq!(bearer(None).unwrap(), None);
    for bad in [
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Bearer \"abc\"",
        "Bearer a,b",
        "Bearer abc, Bearer def",
        "Bearer ===",
    ] {
        assert_eq!(
            bearer(Some(bad)),
            Err(Denied::BadAuthorizationHeader),
            "{bad:?}"
        );
    }
}

#[test]
fn cookies_query_parameters_and_single_headers() {
    assert_eq!(
        cookie(Some("a=1; session=tok; b=2"), "session").unwrap(),
        Some("tok")
    );
    assert_eq!(cookie(Some("xsession=tok"), "session").unwrap(), None);
    assert_eq!(
        cookie(Some("session=a; session=b"), "session"),
        Err(Denied::Ambiguous)
    );
    assert_eq!(
        query_param(Some("a=1&api_key=k&b"), "api_key").unwrap(),
        Some("k")
    );
    assert_eq!(
        query_param(Some("api_key=a&api_key=b"), "api_key"),
        Err(Denied::Ambiguous)
    );
    assert_eq!(query_param(Some("xapi_key=k"), "api_key").unwrap(), None);
    assert_eq!(query_param(Some("api_key="), "api_key").unwrap(), None);
    assert_eq!(single_header(Some(" k1 ")).unwrap(), Some("k1"));
    assert_eq!(single_header(Some("k1, k2")), Err(Denied::Ambiguous));
    assert_eq!(single_header(Some("")).unwrap(), None);
}

#[test]
fn jwks_documents_keep_only_usable_signature_keys() {
    let body = json!({ "keys": [
        { "kty": "RSA", "kid": "r", "n": "sXch", "e": "AQAB", "alg": "RS256" },
        { "kty": "EC", "kid": "e", "crv": "P-256", "x": "AA", "y": "AA", "d": "private-part-ignored" },
        { "kty": "OKP", "kid": "o", "crv": "Ed25519", "x": "AA" },
        { "kty": "oct", "kid": "hmac", "k": "c2VjcmV0" },
        { "kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA" },
        { "kty": "RSA", "kid": "enc", "use": "enc", "n": "AA", "e": "AQAB" },
        { "kty": "RSA", "kid": "broken", "n": "not base64!", "e": "AQAB" },
        { "kty": "RSA", "kid": "no-e", "n": "AA" }
    ]});
    let keys = parse_jwks(&body.to_string()).unwrap();
    let kids: Vec<_> = keys.iter().map(|k| k.kid.as_deref().unwrap()).collect();
    assert_eq!(kids, ["r", "e", "o"]);
    assert_eq!(keys[0].alg.as_deref(), Some("RS256"));
    let KeyMaterial::Jwk(ec) = &keys[1].material else {
        panic!()
    };
    assert!(
        !ec.contains("private"),
        "only public members are kept: {ec}"
    );
    assert!(parse_jwks("<html>").is_err());
    assert!(parse_jwks("{}").is_err());
    assert_eq!(
        parse_jwk(&json!({ "kty": "XYZ" })).unwrap_err(),
        "unsupported key type \"XYZ\""
    );
}

#[test]
fn a_fetched_jwks_without_a_usable_key_is_a_failed_fetch() {
    let good = json!({ "keys": [{ "kty": "OKP", "kid": "o", "crv": "Ed25519", "x": "AA" }] });
    assert_eq!(fetched_keys(&good.to_string()).unwrap().len(), 1);
    for garbage in [
        "<html>502 Bad Gateway</html>".to_string(),
        json!({ "issuer": "https://id.example/" }).to_string(),
        json!({ "keys": [{ "kty": "RSA", "kid": "k", "n": "not base64!", "e": "AQAB" }] })
            .to_string(),
        json!({ "keys": [{ "kty": "oct", "kid": "hmac", "k": "c2VjcmV0" }] }).to_string(),
    ] {
        assert!(fetched_keys(&garbage).is_err(), "{garbage}");
    }
}

#[test]
fn a_fetched_jwks_with_an_empty_key_list_revokes_every_key() {
    let revoked = fetched_keys(&json!({ "keys": [] }).to_string()).unwrap();
    assert!(revoked.is_empty(), "the IdP's empty list replaces the keys");
}

#[test]
fn pem_keys_are_classified_and_private_keys_refused() {
    assert_eq!(parse_pem(EC_PEM).unwrap().0, KeyKind::P256);
    assert_eq!(parse_pem(ED_PEM).unwrap().0, KeyKind::Ed25519);
    assert!(parse_pem(P384_PEM).unwrap_err().contains("unsupported"));
    assert!(
        parse_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
            .unwrap_err()
            .contains("private key")
    );
    assert!(
        parse_pem("-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----").is_err()
    );
    assert_eq!(base64_decode("aGk", true).unwrap(), b"hi");
    assert!(base64_decode("a", true).is_err());
    assert!(base64_decode("a+b", true).is_err(), "+ is not base64url");
}

fn key(kid: &str, kind: KeyKind, alg: Option<&str>) -> PublicJwk {
    PublicJwk {
        kid: Some(kid.into()),
        kind,
        alg: alg.map(str::to_string),
        material: KeyMaterial::Jwk(kid.into()),
    }
}

#[test]
fn key_candidates_match_kid_kind_and_pinned_alg() {
    let keys = [
        key("r1", KeyKind::Rsa, None),
        key("r2", KeyKind::Rsa, Some("PS256")),
        key("e1", KeyKind::P256, None),
    ];
    let kids = |kid, alg| {
        candidates(&keys, kid, alg)
            .map(|v| v.iter().map(|k| k.kid.clone().unwrap()).collect::<Vec<_>>())
    };
    assert_eq!(kids(Some("r1"), Alg::Rs256).unwrap(), ["r1"]);
    assert_eq!(
        kids(None, Alg::Rs256).unwrap(),
        ["r1"],
        "r2 is pinned to PS256"
    );
    assert_eq!(kids(None, Alg::Ps256).unwrap(), ["r1", "r2"]);
    assert_eq!(
        kids(Some("e1"), Alg::Rs256),
        Err(Denied::UnknownKey),
        "EC key for an RSA alg"
    );
    assert_eq!(kids(Some("r1"), Alg::Es256), Err(Denied::UnknownKey));
    assert_eq!(kids(Some("nope"), Alg::Rs256), Err(Denied::UnknownKey));
    assert_eq!(kids(None, Alg::EdDsa), Err(Denied::UnknownKey));
}

const T: JwksTimes = JwksTimes {
    min_ttl_s: 60,
    max_ttl_s: 3600,
    refetch_interval_s: 30,
    max_stale_s: 600,
};

#[test]
fn jwks_ttl_comes_from_cache_control_within_bounds() {
    assert_eq!(ttl_from_cache_control(Some("public, max-age=300"), &T), 300);
    assert_eq!(
        ttl_from_cache_control(Some("max-age=300, s-maxage=900"), &T),
        900
    );
    assert_eq!(
        ttl_from_cache_control(Some("max-age=5"), &T),
        60,
        "clamped up"
    );
    assert_eq!(
        ttl_from_cache_control(Some("max-age=999999"), &T),
        3600,
        "clamped down"
    );
    assert_eq!(ttl_from_cache_control(Some("no-store"), &T), 60);
    assert_eq!(ttl_from_cache_control(None, &T), 60);
    assert_eq!(ttl_from_cache_control(Some("max-age=abc"), &T), 60);
}

#[test]
fn jwks_fetch_decisions_follow_the_contract() {
    let empty = JwksState::default();
    assert!(
        empty.should_fetch(1000.0, Need::Keys, &T),
        "first use fetches"
    );
    let failed = JwksState {
        set: None,
        last_attempt: Some(1000.0),
    };
    assert!(
        !failed.should_fetch(1010.0, Need::Keys, &T),
        "a failed fetch is not retried within the interval"
    );
    assert!(failed.should_fetch(1031.0, Need::Keys, &T));
    let fresh = JwksState {
        set: Some(KeySet {
            keys: Default::default(),
            fresh_until: 1300.0,
        }),
        last_attempt: Some(1000.0),
    };
    assert!(
        !fresh.should_fetch(1100.0, Need::Keys, &T),
        "fresh keys are reused"
    );
    assert!(
        fresh.should_fetch(1100.0, Need::UnknownKid, &T),
        "an unknown kid refetches after the interval"
    );
    assert!(
        !fresh.should_fetch(1020.0, Need::UnknownKid, &T),
        "but not within it"
    );
    assert!(
        fresh.should_fetch(1300.0, Need::Keys, &T),
        "stale keys are refreshed"
    );
    assert!(
        fresh.usable(1850.0, &T).is_some(),
        "stale keys work up to max_stale"
    );
    assert!(fresh.usable(1900.0, &T).is_none(), "and not after");
}

#[test]
fn ttl_cache_expires_and_stays_bounded() {
    let mut c = TtlCache::new(2);
    c.insert("a", 1, 10.0, 0.0);
    assert_eq!(c.get(&"a", 9.9), Some(1));
    assert_eq!(c.get(&"a", 10.0), None);
    c.insert("b", 2, 5.0, 0.0);
    c.insert("c", 3, 50.0, 6.0); // full: "b" has expired and goes
    assert_eq!(c.len(), 2);
    c.insert("d", 4, 50.0, 6.0); // full, nothing expired: cleared
    assert_eq!(c.len(), 1);
    assert_eq!(c.get(&"d", 7.0), Some(4));
}

fn record(v: serde_json::Value) -> ConsumerRecord {
    serde_json::from_value(v).unwrap()
}

#[test]
fn api_key_records_are_checked_for_state_and_expiry() {
    assert_eq!(
        store_key("k"),
        "sha256:8254c329a92850f6d539dd376f4816ee2764517da5e0235514af433164480d7a"
    );
    let now = 1_800_000_000.0;
    let id = check_record(
        "p",
        Some(record(
            json!({ "id": "acme", "name": "Acme", "plan": "gold", "scopes": ["a", "b"] }),
        )),
        now,
    )
    .unwrap();
    assert_eq!(
        (id.subject.as_str(), id.plan.as_deref(), id.scopes.len()),
        ("acme", Some("gold"), 2)
    );
    assert_eq!(check_record("p", None, now), Err(Denied::UnknownApiKey));
    // A record without an id would make its holders one consumer with every other such key.
    assert_eq!(
        check_record("p", Some(record(json!({ "id": "" }))), now),
        Err(Denied::NoSubject)
    );
    assert_eq!(
        check_record(
            "p",
            Some(record(json!({ "id": "x", "enabled": false }))),
            now
        ),
        Err(Denied::ApiKeyDisabled)
    );
    for exp in [
        json!(1_700_000_000),
        json!("2020-01-01T00:00:00Z"),
        json!("garbage"),
        json!(true),
    ] {
        assert_eq!(
            check_record(
                "p",
                Some(record(json!({ "id": "x", "expires_at": exp }))),
                now
            ),
            Err(Denied::ApiKeyExpired),
            "{exp}"
        );
    }
    for exp in [
        json!(1_900_000_000),
        json!("2030-01-01T00:00:00+02:00"),
        json!(null),
    ] {
        assert!(
            check_record(
                "p",
                Some(record(json!({ "id": "x", "expires_at": exp }))),
                now
            )
            .is_ok(),
            "{exp}"
        );
    }
}

#[test]
fn client_certificates_must_be_presented_verified_and_allowed() {
    static ANY: Mtls = Mtls {
        name: "m",
        fingerprints: &[],
        subjects: &[],
        forward: &[],
    };
    static PINNED: Mtls = Mtls {
        name: "m",
        fingerprints: &["ab"],
        subjects: &["CN=a"],
        forward: &[],
    };
    let cert = ClientCert {
        presented: true,
        verified: "SUCCESS".into(),
        subject_dn: "CN=a".into(),
        fingerprint_sha256: "AB".into(),
        ..ClientCert::default()
    };
    assert_eq!(
        mtls::check(&ANY, Some(cert.clone())).unwrap().subject,
        "CN=a"
    );
    assert!(
        mtls::check(&PINNED, Some(cert.clone())).is_ok(),
        "fingerprints compare case-insensitively"
    );
    assert_eq!(mtls::check(&ANY, None), Err(Denied::NoClientCertificate));
    assert_eq!(
        mtls::check(
            &ANY,
            Some(ClientCert {
                presented: false,
                ..cert.clone()
            })
        ),
        Err(Denied::NoClientCertificate)
    );
    assert_eq!(
        mtls::check(
            &ANY,
            Some(ClientCert {
                verified: "FAILED:expired".into(),
                ..cert.clone()
            })
        ),
        Err(Denied::CertificateNotVerified)
    );
    assert_eq!(
        mtls::check(
            &PINNED,
            Some(ClientCert {
                fingerprint_sha256: "cd".into(),
                ..cert.clone()
            })
        ),
        Err(Denied::CertificateNotAllowed)
    );
    assert_eq!(
        mtls::check(
            &PINNED,
            Some(ClientCert {
                subject_dn: "CN=b".into(),
                ..cert.clone()
            })
        ),
        Err(Denied::CertificateNotAllowed)
    );
    // Certificates with an empty subject are told apart by their fingerprints.
    let anonymous = mtls::check(
        &ANY,
        Some(ClientCert {
            subject_dn: String::new(),
            ..cert
        }),
    );
    assert_eq!(anonymous.unwrap().subject, "sha256:ab");
}

fn identity(claims: serde_json::Value) -> Identity {
    Identity::from_claims("p", "sub", claims.as_object().unwrap().clone())
}

#[test]
fn require_checks_scopes_roles_and_claims() {
    static R: Require = Require {
        scopes: &["read"],
        any_scopes: &["x", "y"],
        roles: &["admin", "ops"],
        claims: &[
            ClaimRule {
                claim: "org",
                test: ClaimTest::Equals("acme"),
            },
            ClaimRule {
                claim: "tier",
                test: ClaimTest::OneOf(&["1", "2"]),
            },
            ClaimRule {
                claim: "realm.groups",
                test: ClaimTest::Contains("eng"),
            },
        ],
    };
    let ok = json!({ "sub": "a", "scope": "read y", "roles": ["ops"], "org": "acme", "tier": 2, "realm": { "groups": ["eng"] } });
    assert_eq!(require::check(&R, Some(&identity(ok.clone()))), Ok(()));
    assert_eq!(require::check(&R, None), Err(Denied::Missing));
    let broken = |k: &str, v: serde_json::Value| {
        let mut c = ok.clone();
        c[k] = v;
        require::check(&R, Some(&identity(c)))
    };
    assert!(
        matches!(broken("scope", json!("y")), Err(Denied::InsufficientScope { required }) if required == "scope read")
    );
    assert!(
        broken("scope", json!("read")).is_err(),
        "none of any_scopes"
    );
    assert!(broken("roles", json!(["viewer"])).is_err());
    assert!(broken("org", json!("globex")).is_err());
    assert!(
        broken("org", json!(["acme"])).is_err(),
        "an array never equals a string"
    );
    assert!(broken("tier", json!(3)).is_err());
    assert!(broken("realm", json!({ "groups": ["ops"] })).is_err());
    // Scopes from scp / permissions arrays count too.
    let scp = json!({ "sub": "a", "scp": ["read"], "permissions": ["x"], "roles": "admin", "org": "acme", "tier": "1", "realm": { "groups": "eng ops" } });
    assert_eq!(require::check(&R, Some(&identity(scp))), Ok(()));
}

#[test]
fn identity_headers_render_claims_and_drop_control_characters() {
    let id = identity(
        json!({ "sub": "alice", "scope": "a b", "n": 5, "bad": "x\r\nInjected: 1", "obj": { "k": 1 } }),
    );
    let h = id.forward_headers(&[
        ("sub", "x-user-id"),
        ("scopes", "x-scopes"),
        ("n", "x-n"),
        ("bad", "x-bad"),
        ("obj", "x-obj"),
        ("absent", "x-absent"),
    ]);
    assert_eq!(
        h,
        [
            ("x-user-id", "alice".to_string()),
            ("x-scopes", "a b".into()),
            ("x-n", "5".into()),
            ("x-obj", r#"{"k":1}"#.into())
        ]
    );
}

#[test]
fn auth_errors_carry_rfc_6750_challenges() {
    let e = |scheme, reason, others: Vec<Scheme>, scope: Option<&str>| GatewayError::Unauthorized {
        scheme,
        reason,
        others,
        scope: scope.map(str::to_string),
    };
    let missing = e(Scheme::Bearer, Denied::Missing, vec![], None);
    assert_eq!((missing.status(), missing.slug()), (401, "unauthorized"));
    assert_eq!(
        missing.headers(),
        [(
            "www-authenticate",
            r#"Bearer realm="gatehouse""#.to_string()
        )]
    );
    let expired = e(Scheme::Bearer, Denied::Expired, vec![], None);
    assert_eq!(
        expired.headers()[0].1,
        r#"Bearer realm="gatehouse", error="invalid_token", error_description="the token has expired""#
    );
    let alg = e(
        Scheme::Bearer,
        Denied::AlgorithmNotAllowed { alg: "none".into() },
        vec![],
        None,
    );
    assert!(
        !alg.headers()[0].1.contains(r#""none""#),
        "quotes inside the description are replaced"
    );
    let scope = e(
        Scheme::Bearer,
        Denied::InsufficientScope {
            required: "scope a".into(),
        },
        vec![],
        Some("a"),
    );
    assert_eq!((scope.status(), scope.slug()), (403, "forbidden"));
    assert!(scope.headers()[0].1.ends_with(r#"error="insufficient_scope", error_description="the credentials lack what this route requires: scope a", scope="a""#));
    let key = e(
        Scheme::ApiKeyQuery("api_key"),
        Denied::UnknownApiKey,
        vec![],
        None,
    );
    assert_eq!(
        key.headers()[0].1,
        r#"ApiKey realm="gatehouse", query="api_key""#
    );
    let cert = e(
        Scheme::ClientCertificate,
        Denied::NoClientCertificate,
        vec![],
        None,
    );
    assert_eq!((cert.status(), cert.headers().len()), (403, 0));
    let unavailable = GatewayError::AuthUnavailable { what: "x".into() };
    assert_eq!(
        (unavailable.status(), unavailable.headers()[0].0),
        (503, "retry-after")
    );
}

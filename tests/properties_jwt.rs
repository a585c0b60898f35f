//! Hostile tokens: the JOSE header checks and the whole `jwt` policy never panic nor hang on
//! any token text, never accept a token not signed with the policy's key, and accept a signed
//! one only when its claims hold what the policy requires, whatever odd JSON they carry
//! (huge, negative, fractional or textual times, deep nesting, repeated members).

#![cfg(not(target_arch = "wasm32"))]

mod support;

use gatehouse::auth::jose_header;
use gatehouse::auth::{AuthError, Denied, Scheme};
use gatehouse::policy::jwt;
use proptest::prelude::*;
use serde_json::Value;
use support::properties::{config, within};
use support::TestBackend;

const ISS: &str = support::HS_ISS;
/// A fixed clock: no case depends on today's date.
const NOW: i64 = 1_800_000_000;

fn b64(bytes: &[u8]) -> String {
    support::b64url(bytes)
}

fn sign(header: &str, claims: &str) -> String {
    support::sign_hs256(header, claims)
}

/// The policy's verdict on `token`, on its own thread (a hang fails the case).
fn authenticate(token: String) -> Result<(), Denied> {
    within(&format!("token {token:?}"), move || {
        let mut b = TestBackend {
            now: NOW as f64,
            ..TestBackend::default()
        };
        b.secrets
            .insert("JWT_SECRET", support::HS_SECRET.to_string());
        let b = b.with_header("authorization", &format!("Bearer {token}"));
        match futures::executor::block_on(jwt::authenticate(&support::HS_JWT, &b)) {
            Ok(_) => Ok(()),
            Err(AuthError::Denied(Scheme::Bearer, d)) => Err(d),
            Err(other) => panic!("expected a denial, got {other:?}"),
        }
    })
}

/// JSON values with the shapes hostile claims take: odd numbers, long strings, nesting.
fn odd_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just("1e308"),
            Just("-0"),
            Just("-0.0"),
            Just("1e-400"),
            Just("123456789012345678901234567890"),
            Just("1.7976931348623157e308"),
            Just("18446744073709551616"),
            Just("-9223372036854775809"),
            Just("0.5"),
        ]
        .prop_map(|n| serde_json::from_str::<Value>(n).unwrap_or(Value::Null)),
        ".{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 40, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            proptest::collection::btree_map("[a-z]{1,4}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const CLAIM_NAMES: &[&str] = &["iss", "sub", "exp", "nbf", "iat", "aud", "scope", "jti"];

/// Claims text: the required members with odd values, possibly repeated, plus odd extras.
fn claims_text() -> impl Strategy<Value = String> {
    let member = (proptest::sample::select(CLAIM_NAMES), odd_json());
    let good = prop_oneof![
        Just(Value::from(ISS)),
        Just(Value::from(NOW + 60)),
        Just(Value::from("billing-job")),
    ];
    (
        proptest::collection::vec(member, 0..6),
        proptest::collection::vec((proptest::sample::select(CLAIM_NAMES), good), 0..6),
    )
        .prop_map(|(odd, good)| {
            let members: Vec<String> = good
                .into_iter()
                .chain(odd)
                .map(|(n, v)| format!("{n:?}:{v}"))
                .collect();
            format!("{{{}}}", members.join(","))
        })
}

/// Token-shaped text: base64url parts of arbitrary bytes or JSON, any number of dots.
fn token_text() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        "[A-Za-z0-9_-]{0,40}",
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|b| b64(&b)),
        odd_json().prop_map(|v| b64(v.to_string().as_bytes())),
        Just(b64(br#"{"alg":"HS256"}"#)),
        Just(b64(br#"{"alg":"none"}"#)),
        ".{0,10}",
    ];
    proptest::collection::vec(part, 0..6).prop_map(|p| p.join("."))
}

proptest! {
    #![proptest_config(config(file!(), 600))]

    #[test]
    fn the_jose_header_check_never_panics_on_any_text(token in prop_oneof![token_text(), ".{0,200}"]) {
        let t = token.clone();
        let verdict = within(&format!("{token:?}"), move || jose_header::check(&t));
        if token.split('.').count() < 2 {
            prop_assert_eq!(verdict, Err(Denied::Malformed), "{:?}", token);
        }
    }

    #[test]
    fn a_token_not_signed_with_the_key_is_never_accepted(token in token_text()) {
        prop_assert!(authenticate(token.clone()).is_err(), "{:?}", token);
    }

    #[test]
    fn a_signed_token_is_accepted_only_with_the_claims_the_policy_requires(claims in claims_text()) {
        let token = sign(r#"{"alg":"HS256","typ":"JWT"}"#, &claims);
        if authenticate(token).is_ok() {
            let map: serde_json::Map<String, Value> = serde_json::from_str(&claims)
                .expect("accepted claims are a JSON object");
            prop_assert_eq!(map.get("iss").and_then(Value::as_str), Some(ISS), "{}", claims);
            let exp = map.get("exp").and_then(Value::as_f64);
            prop_assert!(exp.is_some_and(|e| e > (NOW - 30) as f64), "exp in {}", claims);
            // A subject names the consumer: a string or a number (tests/auth.rs).
            prop_assert!(
                map.get("sub").is_some_and(|s| s.is_string() || s.is_number()),
                "sub in {}",
                claims
            );
            // Repeated members are refused (a verifier and an origin could read different ones).
            for name in CLAIM_NAMES {
                prop_assert!(claims.matches(&format!("{name:?}:")).count() <= 1, "{}", claims);
            }
        }
    }
}

#[test]
fn the_properties_signer_makes_tokens_the_policy_accepts() {
    // Guards the properties above from passing vacuously: a plain signed token is accepted.
    let claims = format!(
        r#"{{"iss":"{ISS}","sub":"billing-job","exp":{}}}"#,
        NOW + 60
    );
    assert_eq!(authenticate(sign(r#"{"alg":"HS256"}"#, &claims)), Ok(()));
}

//! JOSE header rules (issue 11): `crit`, `b64`, `cty`, `typ`, JWE headers and repeated members.
//! The case table is tests/fixtures/jose_headers.json, which the end-to-end test sends to the
//! built worker too; the property test checks that no header shape outside the documented
//! ones is ever accepted.

#![cfg(not(target_arch = "wasm32"))]
mod support;

use gatehouse::auth::{AuthError, Denied, Scheme};
use gatehouse::policy::jwt;
use proptest::prelude::*;
use support::TestBackend;

const ISS: &str = support::HS_ISS;
const SECRET: &str = support::HS_SECRET;
use support::HS_JWT;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A token over raw header and claims JSON text, signed with the policy's secret.
fn sign(header: &str, claims: &str) -> String {
    let n = now();
    let claims = claims
        .replace("$NOW", &n.to_string())
        .replace("$EXP", &(n + 60).to_string());
    support::sign_hs256(header, &claims)
}

fn default_claims() -> String {
    format!(r#"{{"iss":"{ISS}","sub":"billing-job","iat":$NOW,"exp":$EXP}}"#)
}

fn authenticate(token: &str) -> Result<(), Denied> {
    let mut b = TestBackend {
        now: now() as f64,
        ..TestBackend::default()
    };
    b.secrets.insert("JWT_SECRET", SECRET.to_string());
    let b = b.with_header("authorization", &format!("Bearer {token}"));
    match futures::executor::block_on(jwt::authenticate(&HS_JWT, &b)) {
        Ok(_) => Ok(()),
        Err(AuthError::Denied(Scheme::Bearer, d)) => Err(d),
        Err(other) => panic!("expected a denial, got {other:?}"),
    }
}

#[test]
fn header_case_table_is_accepted_or_refused_with_its_reason() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/jose_headers.json")).unwrap();
    for case in fixture["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let claims = case["claims"]
            .as_str()
            .map_or_else(default_claims, str::to_string);
        let result = authenticate(&sign(case["header"].as_str().unwrap(), &claims));
        match case["refused"].as_str() {
            None => assert_eq!(result, Ok(()), "{name}"),
            Some(detail) => match result {
                Err(d @ Denied::Header(_)) => {
                    assert!(d.describe().contains(detail), "{name}: {}", d.describe());
                    assert_eq!(d.bearer_error(), Some("invalid_token"), "{name}");
                }
                other => panic!("{name}: expected a header refusal, got {other:?}"),
            },
        }
    }
}

#[test]
fn a_refused_header_detail_never_echoes_unprintable_or_long_names() {
    let header = format!(r#"{{"alg":"HS256","crit":["x\n{}"]}}"#, "y".repeat(500));
    let Err(d) = authenticate(&sign(&header, &default_claims())) else {
        panic!("accepted")
    };
    let detail = d.describe();
    assert!(!detail.contains('\n') && detail.len() < 200, "{detail}");
}

// ---------------------------------------------------------------- property

/// Member names a header is built from: the registered ones, extension names, and near misses.
const NAMES: &[&str] = &[
    "alg",
    "typ",
    "kid",
    "jku",
    "x5u",
    "jwk",
    "x5c",
    "crit",
    "b64",
    "cty",
    "enc",
    "zip",
    "iv",
    "tag",
    "p2c",
    "x-unknown",
    "ALG",
    "Typ",
    "exp",
];

/// JSON values for those members.
const VALUES: &[&str] = &[
    r#""HS256""#,
    r#""hs256""#,
    r#""none""#,
    r#""RS256""#,
    r#""JWT""#,
    r#""jwt""#,
    r#""at+JWT""#,
    r#""application/at+jwt""#,
    r#""JOSE""#,
    r#""dpop+jwt""#,
    r#""x-unknown""#,
    r#""alg""#,
    "[]",
    r#"["x-unknown"]"#,
    r#"["alg"]"#,
    r#"["b64"]"#,
    "1",
    "true",
    "false",
    "null",
    "{}",
];

/// The documented accepted shapes (docs/src/policies/jwt.md), written from the rules, not from the code:
/// members unique; `alg` exactly "HS256" (the policy's list); no `crit`, `b64`, `cty` or JWE
/// header; `typ` absent or a JWT access-token type; `kid`, `jku`, `x5u` strings; anything else
/// ignored.
fn documented(members: &[(&str, &str)]) -> bool {
    let mut seen = std::collections::HashSet::new();
    if !members.iter().all(|(n, _)| seen.insert(*n)) {
        return false;
    }
    let value = |name: &str| members.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    let is_string = |v: &str| v.starts_with('"');
    let forbidden = ["crit", "b64", "cty", "enc", "zip", "iv", "tag", "p2c"];
    value("alg") == Some(r#""HS256""#)
        && forbidden.iter().all(|f| value(f).is_none())
        && value("typ").is_none_or(|t| {
            [
                r#""JWT""#,
                r#""jwt""#,
                r#""at+JWT""#,
                r#""application/at+jwt""#,
            ]
            .contains(&t)
        })
        && ["kid", "jku", "x5u"]
            .iter()
            .all(|k| value(k).is_none_or(is_string))
}

fn header_members() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
    let member = (
        proptest::sample::select(NAMES),
        proptest::sample::select(VALUES),
    );
    (any::<bool>(), proptest::collection::vec(member, 0..5)).prop_map(|(alg_first, mut m)| {
        if alg_first {
            m.insert(0, ("alg", r#""HS256""#));
        }
        m
    })
}

proptest! {
    #![proptest_config(support::properties::config(file!(), 1500))]

    #[test]
    fn only_documented_header_shapes_are_accepted(members in header_members()) {
        let json: Vec<String> = members.iter().map(|(n, v)| format!("{n:?}:{v}")).collect();
        let header = format!("{{{}}}", json.join(","));
        let accepted = authenticate(&sign(&header, &default_claims())).is_ok();
        prop_assert_eq!(accepted, documented(&members), "header {}", header);
    }
}

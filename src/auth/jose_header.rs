//! The parts of a JWS that a verifier must not ignore (RFC 7515, RFC 7797, RFC 8725), checked
//! before the token is parsed for its signature. Each refusal is a 401 `invalid_token` whose
//! detail names the rule.
//!
//! Accepted header shapes, and only these:
//! - `alg` (checked against the policy's allow-list afterwards);
//! - `typ` absent, or `JWT` / `at+jwt` (with or without `application/`, any case);
//! - `kid`, `x5t`, `x5t#S256` (key selection hints; strings), `jku`, `x5u` (strings), `jwk`,
//!   `x5c` (never fetched, never trusted: keys only come from the policy's configuration), and
//!   any other name not listed below, which RFC 7515 section 4 says to ignore when it is not
//!   critical.
//!
//! Refused: any `crit` (Gatehouse implements no JWS extension; an empty `crit` or one naming
//! a registered header is malformed anyway), any `b64` (RFC 7797 unencoded payloads), any
//! `cty` (nested or non-JSON payloads), JWE-only headers (`enc`, `zip`, `epk`, `apu`, `apv`,
//! `iv`, `tag`, `p2s`, `p2c`: an encrypted token is not a signed one), another `typ`, and a
//! member name that appears twice in one object of the header or of the claims, at any depth
//! (parsers disagree on which one wins; [`crate::json_text`]).

use super::Denied;
use crate::json_text::{self, Ambiguity};
use base64ct::{Base64UrlUnpadded, Encoding};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// Header names registered by RFC 7515 and RFC 7516: never valid in `crit`.
const REGISTERED: &[&str] = &[
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc",
    "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
];

/// Headers that only a JWE carries.
const JWE_ONLY: &[&str] = &["enc", "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c"];

/// Key hints that must be strings when present.
const STRING_HINTS: &[&str] = &["kid", "jku", "x5u", "x5t", "x5t#S256"];

/// `typ` values accepted for an access token (compared case-insensitively).
const TOKEN_TYPES: &[&str] = &["jwt", "at+jwt", "application/jwt", "application/at+jwt"];

/// Why a token's header (or claims object) is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderRefusal {
    /// `crit` is present but is not a list of strings, or is empty.
    CritMalformed,
    /// `crit` names a header registered by RFC 7515/7516.
    CritRegistered(String),
    /// `crit` names an extension Gatehouse does not implement.
    CritUnsupported(String),
    /// `b64` (RFC 7797) is present.
    UnencodedPayload,
    /// `cty` is present.
    ContentType,
    /// A JWE-only header is present.
    Encrypted(&'static str),
    /// `typ` is not a JWT access-token type.
    TokenType(String),
    /// `kid`, `jku`, `x5u`, `x5t` or `x5t#S256` is not a string.
    NotAString(&'static str),
    /// A member name appears twice in the header.
    DuplicateHeader(String),
    /// A member name appears twice in the claims.
    DuplicateClaim(String),
}

impl HeaderRefusal {
    /// One sentence for the problem's `detail` (attacker-chosen names are shortened and
    /// stripped to printable ASCII).
    pub fn describe(&self) -> String {
        match self {
            HeaderRefusal::CritMalformed => {
                "the token's crit header must be a non-empty list of header names".into()
            }
            HeaderRefusal::CritRegistered(n) => format!(
                "the token's crit header lists {:?}, a registered header that must not be marked critical",
                printable(n)
            ),
            HeaderRefusal::CritUnsupported(n) => format!(
                "the token's crit header lists {:?}, an extension Gatehouse does not implement",
                printable(n)
            ),
            HeaderRefusal::UnencodedPayload => {
                "the token's b64 header (RFC 7797 unencoded payload) is not supported".into()
            }
            HeaderRefusal::ContentType => {
                "the token's cty header (nested or non-JSON payload) is not supported".into()
            }
            HeaderRefusal::Encrypted(n) => {
                format!("the token's {n} header belongs to an encrypted token (JWE), which is not accepted")
            }
            HeaderRefusal::TokenType(t) => {
                format!("the token's typ {:?} is not a JWT access token type", printable(t))
            }
            HeaderRefusal::NotAString(n) => format!("the token's {n} header must be a string"),
            HeaderRefusal::DuplicateHeader(n) => {
                format!("the token's header repeats {:?}", printable(n))
            }
            HeaderRefusal::DuplicateClaim(n) => {
                format!("the token's claims repeat {:?}", printable(n))
            }
        }
    }
}

fn printable(s: &str) -> String {
    s.chars().filter(char::is_ascii_graphic).take(40).collect()
}

/// Checks the header and the claims object of a compact JWS. Refuses with
/// [`Denied::Header`] when a rule refuses them, or [`Denied::Malformed`] when the token is not
/// base64url parts holding JSON objects.
pub fn check(token: &str) -> Result<(), Denied> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims)) = (parts.next(), parts.next()) else {
        return Err(Denied::Malformed);
    };
    let header = decode_members(header)?;
    if let Some(refusal) = check_header(&header.members) {
        return Err(Denied::Header(refusal));
    }
    if let Some(name) = header.duplicate {
        return Err(Denied::Header(HeaderRefusal::DuplicateHeader(name)));
    }
    match decode_members(claims)?.duplicate {
        Some(name) => Err(Denied::Header(HeaderRefusal::DuplicateClaim(name))),
        None => Ok(()),
    }
}

fn check_header(members: &[(String, Value)]) -> Option<HeaderRefusal> {
    for (name, value) in members {
        match name.as_str() {
            "crit" => return Some(crit_refusal(value)),
            "b64" => return Some(HeaderRefusal::UnencodedPayload),
            "cty" => return Some(HeaderRefusal::ContentType),
            "typ" => {
                let ok = value
                    .as_str()
                    .is_some_and(|t| TOKEN_TYPES.iter().any(|k| k.eq_ignore_ascii_case(t)));
                if !ok {
                    let shown = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_string);
                    return Some(HeaderRefusal::TokenType(shown));
                }
            }
            n => {
                if let Some(jwe) = JWE_ONLY.iter().find(|&&j| j == n) {
                    return Some(HeaderRefusal::Encrypted(jwe));
                }
                if let Some(hint) = STRING_HINTS.iter().find(|&&h| h == n) {
                    if !value.is_string() {
                        return Some(HeaderRefusal::NotAString(hint));
                    }
                }
            }
        }
    }
    None
}

fn crit_refusal(value: &Value) -> HeaderRefusal {
    let names: Option<Vec<&str>> = value
        .as_array()
        .and_then(|list| list.iter().map(Value::as_str).collect());
    match names.as_deref() {
        None | Some([]) => HeaderRefusal::CritMalformed,
        Some(names) => match names.iter().find(|n| REGISTERED.contains(n)) {
            Some(n) => HeaderRefusal::CritRegistered(n.to_string()),
            None => HeaderRefusal::CritUnsupported(names[0].to_string()),
        },
    }
}

/// A JSON object's members in order, with the first name that appeared twice in one object
/// of it (at any depth: [`json_text::repeated_member`], the rule request validation applies
/// to bodies).
struct Members {
    members: Vec<(String, Value)>,
    duplicate: Option<String>,
}

fn decode_members(part: &str) -> Result<Members, Denied> {
    let json = Base64UrlUnpadded::decode_vec(part).map_err(|_| Denied::Malformed)?;
    let text = std::str::from_utf8(&json).map_err(|_| Denied::Malformed)?;
    let members = serde_json::from_str::<ObjectMembers>(text)
        .map_err(|_| Denied::Malformed)?
        .0;
    let duplicate = match json_text::repeated_member(text) {
        Err(Ambiguity::RepeatedMember { name, .. }) => Some(name),
        _ => None,
    };
    Ok(Members { members, duplicate })
}

/// A JSON object's members in order (a repeated name kept each time).
struct ObjectMembers(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for ObjectMembers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = ObjectMembers;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ObjectMembers, A::Error> {
                let mut members = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    members.push((name, map.next_value::<Value>()?));
                }
                Ok(ObjectMembers(members))
            }
        }
        d.deserialize_map(ObjectVisitor)
    }
}

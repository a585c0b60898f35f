//! A GraphQL-over-HTTP request's parameters: from a JSON body (one request, or a batch as an
//! array) or from a GET's query string.
//!
//! Contract: what the gateway measures is what the origin runs. A JSON body in which another
//! parser could read different values (a member named twice, numbers past 64-bit floats) is
//! refused, as is a query string with a parameter given twice (names compared decoded), a
//! second `?`, or text that is not UTF-8;
//! every parameter must have its spec's type (`query` and `operationName` strings,
//! `variables` and `extensions` objects, each may be null).

use super::Refusal;
use serde_json::{Map, Value};

/// One operation's parameters.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Params {
    pub query: Option<String>,
    pub operation_name: Option<String>,
    pub variables: Option<Value>,
    /// `extensions.persistedQuery.sha256Hash`, lowercase.
    pub persisted_hash: Option<String>,
    /// A GET's `variables` and `extensions` as sent (decoded), to send on as they were read.
    pub variables_text: Option<String>,
    pub extensions_text: Option<String>,
}

/// Reads a POST's JSON body: one request (an object) or a batch (an array of them).
/// Returns the requests and whether they came as a batch.
pub fn from_json(text: &str) -> Result<(Vec<Params>, bool), Refusal> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Refusal::bad_request(format!("the body is not JSON: {e}")))?;
    crate::json_text::check(text).map_err(|a| Refusal::bad_request(a.describe()))?;
    match value {
        Value::Object(o) => Ok((vec![from_object(&o)?], false)),
        Value::Array(items) if items.is_empty() => Err(Refusal::bad_request("the batch is empty")),
        Value::Array(items) => {
            let ops = items
                .iter()
                .map(|v| match v {
                    Value::Object(o) => from_object(o),
                    _ => Err(Refusal::bad_request(
                        "each request in a batch must be an object",
                    )),
                })
                .collect::<Result<_, _>>()?;
            Ok((ops, true))
        }
        _ => Err(Refusal::bad_request(
            "the body must be a JSON object (or an array of them)",
        )),
    }
}

fn from_object(o: &Map<String, Value>) -> Result<Params, Refusal> {
    let text = |name: &str| match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Refusal::bad_request(format!("{name} must be a string"))),
    };
    let object = |name: &str| match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
        Some(_) => Err(Refusal::bad_request(format!("{name} must be an object"))),
    };
    let extensions = object("extensions")?;
    Ok(Params {
        query: text("query")?,
        operation_name: text("operationName")?,
        variables: object("variables")?,
        persisted_hash: persisted_hash(extensions.as_ref())?,
        variables_text: None,
        extensions_text: None,
    })
}

/// The GraphQL-over-HTTP parameter names.
pub const NAMES: [&str; 4] = ["query", "operationName", "variables", "extensions"];

/// Reads a GET's query string (`query`, `operationName`, and `variables` and `extensions`
/// as JSON text). Names are compared decoded (`quer%79` is `query`); a `?` inside the query
/// string (which origins split differently) is refused.
pub fn from_query(query: &str) -> Result<Params, Refusal> {
    if query.contains('?') {
        return Err(Refusal::bad_request("the query string holds a second '?'"));
    }
    let mut seen: Vec<(&str, String)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = decode(k)?;
        let Some(name) = NAMES.into_iter().find(|n| *n == decoded) else {
            continue;
        };
        if seen.iter().any(|(n, _)| *n == name) {
            return Err(Refusal::bad_request(format!(
                "{name} is given more than once"
            )));
        }
        seen.push((name, decode(v)?));
    }
    let get = |name: &str| {
        seen.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    let json = |name: &str| -> Result<Option<Value>, Refusal> {
        let Some(text) = get(name) else {
            return Ok(None);
        };
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| Refusal::bad_request(format!("{name} is not JSON: {e}")))?;
        crate::json_text::check(&text).map_err(|a| Refusal::bad_request(a.describe()))?;
        match v {
            Value::Null => Ok(None),
            Value::Object(_) => Ok(Some(v)),
            _ => Err(Refusal::bad_request(format!("{name} must be an object"))),
        }
    };
    let extensions = json("extensions")?;
    Ok(Params {
        query: get("query"),
        operation_name: get("operationName"),
        variables: json("variables")?,
        persisted_hash: persisted_hash(extensions.as_ref())?,
        extensions_text: get("extensions"),
        variables_text: get("variables"),
    })
}

/// The query string to send for a checked GET: the client's other parameters as they came,
/// then each GraphQL parameter once, re-encoded from what was checked (a text filled in from
/// the allowlist included), so no origin can read a parameter the gateway did not.
pub fn rebuild_query(raw: &str, p: &Params) -> String {
    let mut out: Vec<String> = raw
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(k, _)| k);
            !decode(name).is_ok_and(|n| NAMES.contains(&n.as_str()))
        })
        .map(str::to_string)
        .collect();
    let checked = [
        ("query", &p.query),
        ("operationName", &p.operation_name),
        ("variables", &p.variables_text),
        ("extensions", &p.extensions_text),
    ];
    for (name, value) in checked {
        if let Some(v) = value {
            out.push(format!("{name}={}", encode(v)));
        }
    }
    out.join("&")
}

/// `extensions.persistedQuery.sha256Hash`, when the client sends one.
fn persisted_hash(extensions: Option<&Value>) -> Result<Option<String>, Refusal> {
    let Some(pq) = extensions.and_then(|e| e.get("persistedQuery")) else {
        return Ok(None);
    };
    match pq.get("sha256Hash") {
        Some(Value::String(h)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(Some(h.to_ascii_lowercase()))
        }
        _ => Err(Refusal::bad_request(
            "extensions.persistedQuery.sha256Hash must be 64 hex digits",
        )),
    }
}

/// Form-decodes a query-string value (`+` is a space); refuses a bad escape or text that is
/// not UTF-8, which another decoder could read differently.
fn decode(s: &str) -> Result<String, Refusal> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let hex = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(b.get(i + 1)), hex(b.get(i + 2))) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => return Err(Refusal::bad_request("the query string has a bad %-escape")),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| Refusal::bad_request("the query string is not UTF-8"))
}

/// Percent-encodes `s` for a query-string value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

//! A route's stored GraphQL operation (the route key `graphql`), pure logic: its variables
//! from the REST request, the request the origin gets, and the answer read back.
//!
//! Contract: each variable comes from exactly one place. A path parameter, a query parameter
//! or a member of the JSON body names the variable it sets; the text of a path or query
//! parameter is read as the variable's type (`Int`, `Float`, `Boolean`; anything else as
//! text; a list variable's query parameter may repeat). A variable bound to a claim is only
//! ever the claim's value: a client that tries to set it is refused. Anything that is not a
//! variable, a variable given twice, or a required variable left out is an error naming it.
//! An answer with `errors` is a failure (its `data` is not sent); an answer that is not a
//! GraphQL response is invalid.

use gatehouse_config::table::graphql::{GraphqlCall, Scalar, Variable};
use serde_json::{Map, Value};

/// Where the request's values come from (already percent-decoded).
pub struct Inputs<'a> {
    pub path: &'a [(String, String)],
    pub query: &'a [(String, String)],
    pub body: Option<Map<String, Value>>,
    /// A claim of the caller's credential, by name.
    pub claim: &'a dyn Fn(&str) -> Option<Value>,
}

/// The operation's variables from the request; `Err` is the detail of a 400.
pub fn variables(call: &GraphqlCall, inputs: Inputs<'_>) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    let declared = |name: &str| call.variables.iter().find(|v| v.name == name);
    let from_claim = |name: &str| call.claims.iter().any(|(v, _)| *v == name);
    let set = |out: &mut Map<String, Value>, name: &str, value: Value, from: &str| {
        if from_claim(name) {
            return Err(format!("{name} is set by the gateway from your credential"));
        }
        if out.insert(name.to_string(), value).is_some() {
            return Err(format!("{name} is given more than once ({from})"));
        }
        Ok(())
    };
    for (name, text) in inputs.path {
        let v = declared(name).ok_or_else(|| format!("{name} is not a variable"))?;
        set(&mut out, name, read(v, text)?, "path")?;
    }
    let mut lists: Map<String, Value> = Map::new();
    for (name, text) in inputs.query {
        if call.gateway_query.contains(&name.as_str()) {
            continue; // the gateway's own (a credential, the version)
        }
        let v = declared(name)
            .ok_or_else(|| format!("query parameter {name} is not a variable of the operation"))?;
        let value = read(v, text)?;
        if v.list {
            let entry = lists
                .entry(name.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = entry {
                items.push(value);
            }
        } else {
            set(&mut out, name, value, "query")?;
        }
    }
    for (name, items) in lists {
        set(&mut out, &name, items, "query")?;
    }
    for (name, value) in inputs.body.unwrap_or_default() {
        if declared(&name).is_none() {
            return Err(format!(
                "body member {name} is not a variable of the operation"
            ));
        }
        set(&mut out, &name, value, "body")?;
    }
    for (var, claim) in call.claims {
        if let Some(value) = (inputs.claim)(claim) {
            out.insert(var.to_string(), value);
        }
    }
    for v in call.variables.iter().filter(|v| v.required) {
        if out.get(v.name).is_none_or(Value::is_null) {
            return Err(match call.claims.iter().find(|(n, _)| *n == v.name) {
                Some((_, claim)) => {
                    format!("your credential has no claim {claim} (for {})", v.name)
                }
                None => format!("{} is required", v.name),
            });
        }
    }
    Ok(out)
}

/// A parameter's text as the variable's type.
fn read(v: &Variable, text: &str) -> Result<Value, String> {
    let bad = |what: &str| format!("{} must be {what}", v.name);
    Ok(match v.scalar {
        Scalar::Int => Value::from(text.parse::<i32>().map_err(|_| bad("a 32-bit integer"))?),
        Scalar::Float => {
            let f: f64 = text.parse().map_err(|_| bad("a number"))?;
            serde_json::Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| bad("a finite number"))?
        }
        Scalar::Boolean => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("true or false")),
        },
        Scalar::Text => Value::String(text.to_string()),
    })
}

/// The GraphQL-over-HTTP request body the origin gets.
pub fn request_body(call: &GraphqlCall, variables: Map<String, Value>) -> String {
    let mut body = Map::new();
    body.insert("query".into(), call.document.into());
    if let Some(name) = call.operation_name {
        body.insert("operationName".into(), name.into());
    }
    body.insert("variables".into(), Value::Object(variables));
    Value::Object(body).to_string()
}

/// What the origin answered.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// The operation's `data`.
    Data(Value),
    /// Its `errors`, with the HTTP status they map to.
    Errors { status: u16, errors: Vec<Value> },
    /// Not a GraphQL response (why).
    Invalid(String),
}

/// Reads the origin's answer (`http`: its status).
pub fn read_answer(http: u16, bytes: &[u8]) -> Outcome {
    let Ok(Value::Object(mut answer)) = serde_json::from_slice::<Value>(bytes) else {
        return Outcome::Invalid(format!(
            "HTTP status {http} without a GraphQL JSON response"
        ));
    };
    match answer.remove("errors") {
        Some(Value::Array(errors)) if !errors.is_empty() => {
            let status = errors
                .first()
                .and_then(|e| e["extensions"]["code"].as_str())
                .and_then(status_for)
                .unwrap_or(502);
            Outcome::Errors { status, errors }
        }
        None | Some(Value::Array(_)) => match answer.remove("data") {
            Some(data @ Value::Object(_)) if (200..300).contains(&http) => Outcome::Data(data),
            _ => Outcome::Invalid(format!("HTTP status {http} without data")),
        },
        Some(_) => Outcome::Invalid("its errors are not a list".into()),
    }
}

/// The HTTP status of an error's `extensions.code`, for the codes servers commonly use (a
/// failure of the operation itself, or an unknown code, is 502).
pub fn status_for(code: &str) -> Option<u16> {
    Some(match code {
        "BAD_USER_INPUT" | "BAD_REQUEST" => 400,
        "UNAUTHENTICATED" => 401,
        "FORBIDDEN" => 403,
        "NOT_FOUND" => 404,
        "CONFLICT" => 409,
        "RATE_LIMITED" | "TOO_MANY_REQUESTS" => 429,
        "UNAVAILABLE" | "SERVICE_UNAVAILABLE" => 503,
        _ => return None,
    })
}

//! Request validation against JSON Schema 2020-12, compiled at build time.
//!
//! `build.rs` turns each `routes/schemas/*.json` a route names into a flat table of [`Node`]s
//! (`$ref`s resolved to indices), so nothing is parsed per request but the body itself. The
//! keywords implemented are listed in docs/src/features/validation.md; a schema using any other
//! assertion keyword fails the build.
//!
//! Contract: [`validate`] reports every failure it finds (at most [`MAX_FAILURES`]), each with
//! the JSON Pointer (RFC 6901) of the failing value and a message; it never panics, whatever
//! the input. Its work is bounded whatever the schema and the input: checks nest at most
//! [`MAX_DEPTH`] deep and take at most [`budget`] steps (linear in the instance's size); past
//! either, the check fails closed with a single failure saying so. (The build also refuses a
//! schema that reaches itself through `allOf`/`anyOf`/`oneOf`/`not`/`$ref` alone, but the
//! bound does not rely on it: `oneOf` over recursive branches is exponential in the depth.)

use crate::http::url::form_decode;
use serde_json::Value;
use std::collections::HashSet;

/// At most this many failures are reported.
pub const MAX_FAILURES: usize = 20;

pub use gatehouse_config::table::schema::{types, Additional, Node, Schema};

/// One failure: where (a JSON Pointer into the instance) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub pointer: String,
    pub message: String,
}

fn type_bits(v: &Value) -> u8 {
    match v {
        Value::Null => types::NULL,
        Value::Bool(_) => types::BOOLEAN,
        Value::Object(_) => types::OBJECT,
        Value::Array(_) => types::ARRAY,
        Value::String(_) => types::STRING,
        Value::Number(n) => {
            let integral = n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0);
            types::NUMBER | if integral { types::INTEGER } else { 0 }
        }
    }
}

fn type_names(bits: u8) -> String {
    let names = [
        (types::NULL, "null"),
        (types::BOOLEAN, "boolean"),
        (types::OBJECT, "object"),
        (types::ARRAY, "array"),
        (types::NUMBER, "number"),
        (types::STRING, "string"),
        (types::INTEGER, "integer"),
    ];
    let listed: Vec<&str> = names
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    listed.join(" or ")
}

/// Appends `/<token>` (escaped per RFC 6901) to a pointer.
fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// Checks `value` against `schema`; every failure found, in document order (at most
/// [`MAX_FAILURES`]). Empty means valid. A check that goes past [`MAX_DEPTH`] or its work
/// budget ([`budget`]) fails closed with one failure saying so ([`TOO_DEEP`], [`TOO_COSTLY`]).
pub fn validate(schema: &Schema, value: &Value) -> Vec<Failure> {
    validate_counting(schema, value).failures
}

/// A check's failures and the work it took.
#[derive(Debug)]
pub struct Counted {
    pub failures: Vec<Failure>,
    /// Steps taken: one per schema node applied to a value, plus one per 64 bytes of JSON
    /// text written to compare values (`enum`, `const`, `uniqueItems`).
    pub steps: usize,
    /// The steps allowed ([`budget`]).
    pub budget: usize,
}

/// [`validate`], with the work it took.
pub fn validate_counting(schema: &Schema, value: &Value) -> Counted {
    let budget = budget(value);
    let mut walk = Walk {
        nodes: schema.nodes,
        steps: 0,
        budget,
        depth: 0,
        limit: None,
    };
    let mut out = Vec::new();
    walk.check(0, value, &mut String::new(), &mut out, MAX_FAILURES);
    if let Some(limit) = walk.limit {
        out = vec![limit];
    }
    out.truncate(MAX_FAILURES);
    Counted {
        failures: out,
        steps: walk.steps,
        budget,
    }
}

/// Checks nest at most this deep (a schema applied to a member or an item, or through
/// `allOf`, `anyOf`, `oneOf`, `not` or `$ref`, is one level deeper).
pub const MAX_DEPTH: usize = 512;

/// Steps allowed per value in the instance (every member, item and the root count).
pub const STEPS_PER_VALUE: usize = 64;

/// Steps allowed whatever the instance's size.
pub const MIN_STEPS: usize = 10_000;

/// The failure's message when checks nest past [`MAX_DEPTH`].
pub const TOO_DEEP: &str = "is nested too deeply to validate";

/// The failure's message when a check takes more steps than its [`budget`].
pub const TOO_COSTLY: &str = "takes more work to validate than the gateway allows";

/// The steps a check of `value` may take: linear in the instance's size, so no schema
/// (`oneOf` over recursive branches is exponential in the depth) and no input make the work
/// unbounded.
pub fn budget(value: &Value) -> usize {
    let mut values = 0usize;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        values += 1;
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    values.saturating_mul(STEPS_PER_VALUE).max(MIN_STEPS)
}

/// One check's state: the table, the work done, and the limit it hit, if any.
struct Walk<'a> {
    nodes: &'a [Node],
    steps: usize,
    budget: usize,
    depth: usize,
    limit: Option<Failure>,
}

impl Walk<'_> {
    /// Whether node `at` holds for `value` (stops at the first failure).
    fn holds(&mut self, at: u16, value: &Value) -> bool {
        let mut scratch = Vec::new();
        self.check(at, value, &mut String::new(), &mut scratch, 1);
        scratch.is_empty()
    }

    /// Whether to stop: `out` is full or a limit was hit.
    fn done(&self, out: &[Failure], cap: usize) -> bool {
        out.len() >= cap || self.limit.is_some()
    }

    /// Takes `n` steps; false (and the limit recorded) past the budget.
    fn spend(&mut self, n: usize) -> bool {
        self.steps = self.steps.saturating_add(n);
        if self.steps > self.budget && self.limit.is_none() {
            self.limit = Some(Failure {
                pointer: String::new(),
                message: TOO_COSTLY.into(),
            });
        }
        self.limit.is_none()
    }

    fn check(
        &mut self,
        at: u16,
        value: &Value,
        pointer: &mut String,
        out: &mut Vec<Failure>,
        cap: usize,
    ) {
        if self.done(out, cap) || !self.spend(1) {
            return;
        }
        if self.depth >= MAX_DEPTH {
            self.limit = Some(Failure {
                pointer: pointer.clone(),
                message: TOO_DEEP.into(),
            });
            return;
        }
        self.depth += 1;
        self.check_node(at, value, pointer, out, cap);
        self.depth -= 1;
    }

    fn check_node(
        &mut self,
        at: u16,
        value: &Value,
        pointer: &mut String,
        out: &mut Vec<Failure>,
        cap: usize,
    ) {
        let nodes = self.nodes;
        let Some(node) = nodes.get(usize::from(at)) else {
            return;
        };
        if !self.check_here(node, value, pointer, out) {
            return;
        }
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if self.done(out, cap) {
                        return;
                    }
                    if let Some(s) = node.prefix_items.get(i).copied().or(node.items) {
                        let len = pointer.len();
                        push_token(pointer, &i.to_string());
                        self.check(s, item, pointer, out, cap);
                        pointer.truncate(len);
                    }
                }
            }
            Value::Object(map) => {
                for (name, item) in map {
                    if self.done(out, cap) || !self.spend(node.properties.len() / 64) {
                        return;
                    }
                    let declared = node.properties.iter().find(|(n, _)| n == name);
                    let schema = match (declared, node.additional) {
                        (Some((_, s)), _) => Some(*s),
                        (None, Additional::Any) => None,
                        (None, Additional::Schema(s)) => Some(s),
                        (None, Additional::Nothing) => {
                            let mut at = pointer.clone();
                            push_token(&mut at, name);
                            fail(out, "is not an allowed property".into(), &at);
                            None
                        }
                    };
                    if let Some(s) = schema {
                        let len = pointer.len();
                        push_token(pointer, name);
                        self.check(s, item, pointer, out, cap);
                        pointer.truncate(len);
                    }
                }
            }
            _ => {}
        }
        for &s in node.all_of {
            self.check(s, value, pointer, out, cap);
        }
        if !node.any_of.is_empty() && !node.any_of.iter().any(|&s| self.holds(s, value)) {
            fail(
                out,
                "must match at least one of the allowed schemas (anyOf)".into(),
                pointer,
            );
        }
        if !node.one_of.is_empty() {
            let n = node
                .one_of
                .iter()
                .filter(|&&s| self.holds(s, value))
                .count();
            if n != 1 {
                fail(
                    out,
                    format!("must match exactly one of the allowed schemas (oneOf), matched {n}"),
                    pointer,
                );
            }
        }
        if let Some(s) = node.not {
            if self.holds(s, value) {
                fail(
                    out,
                    "must not match the disallowed schema (not)".into(),
                    pointer,
                );
            }
        }
    }

    /// The keywords about `value` itself (not its members, items or subschemas); false when
    /// the rest of the node must not be checked (a `false` schema, a wrong type, the budget).
    /// Kept out of [`Walk::check_node`] so the recursion's stack frames stay small.
    fn check_here(
        &mut self,
        node: &Node,
        value: &Value,
        pointer: &str,
        out: &mut Vec<Failure>,
    ) -> bool {
        match node.always {
            Some(true) => return false,
            Some(false) => {
                fail(out, "no value is allowed here".into(), pointer);
                return false;
            }
            None => {}
        }
        let bits = type_bits(value);
        if node.types != 0 && node.types & bits == 0 {
            // A wrong type makes the other keywords meaningless: report it alone.
            fail(out, format!("must be {}", type_names(node.types)), pointer);
            return false;
        }
        if node.enumeration.is_some() || node.constant.is_some() {
            let text = value.to_string();
            if !self.spend(text.len() / 64) {
                return false;
            }
            if let Some(allowed) = node.enumeration {
                if !allowed.contains(&text.as_str()) {
                    fail(
                        out,
                        format!("must be one of {}", allowed.join(", ")),
                        pointer,
                    );
                }
            }
            if let Some(c) = node.constant {
                if text != c {
                    fail(out, format!("must be {c}"), pointer);
                }
            }
        }
        match value {
            Value::String(s) => {
                let len = s.chars().count() as u64;
                if let Some(m) = node.min_length.filter(|m| len < *m) {
                    fail(
                        out,
                        format!("must be at least {m} characters long"),
                        pointer,
                    );
                }
                if let Some(m) = node.max_length.filter(|m| len > *m) {
                    fail(out, format!("must be at most {m} characters long"), pointer);
                }
            }
            Value::Number(n) => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                if let Some(m) = node.minimum.filter(|m| x < *m) {
                    fail(out, format!("must be at least {m}"), pointer);
                }
                if let Some(m) = node.maximum.filter(|m| x > *m) {
                    fail(out, format!("must be at most {m}"), pointer);
                }
                if let Some(m) = node.exclusive_minimum.filter(|m| x <= *m) {
                    fail(out, format!("must be greater than {m}"), pointer);
                }
                if let Some(m) = node.exclusive_maximum.filter(|m| x >= *m) {
                    fail(out, format!("must be less than {m}"), pointer);
                }
                if let Some(m) = node.multiple_of {
                    let q = x / m;
                    if !q.is_finite() || (q - q.round()).abs() > 1e-9 {
                        fail(out, format!("must be a multiple of {m}"), pointer);
                    }
                }
            }
            Value::Array(items) => {
                let len = items.len() as u64;
                if let Some(m) = node.min_items.filter(|m| len < *m) {
                    fail(out, format!("must have at least {m} items"), pointer);
                }
                if let Some(m) = node.max_items.filter(|m| len > *m) {
                    fail(out, format!("must have at most {m} items"), pointer);
                }
                if node.unique_items {
                    let mut seen = HashSet::new();
                    for item in items {
                        let text = item.to_string();
                        if !self.spend(1 + text.len() / 64) {
                            return false;
                        }
                        if !seen.insert(text) {
                            fail(out, "items must be unique".into(), pointer);
                            break;
                        }
                    }
                }
            }
            Value::Object(map) => {
                let len = map.len() as u64;
                if let Some(m) = node.min_properties.filter(|m| len < *m) {
                    fail(out, format!("must have at least {m} properties"), pointer);
                }
                if let Some(m) = node.max_properties.filter(|m| len > *m) {
                    fail(out, format!("must have at most {m} properties"), pointer);
                }
                for name in node.required {
                    if !map.contains_key(*name) {
                        let mut at = pointer.to_string();
                        push_token(&mut at, name);
                        fail(out, "is required".into(), &at);
                    }
                }
            }
            _ => {}
        }
        true
    }
}

fn fail(out: &mut Vec<Failure>, message: String, pointer: &str) {
    out.push(Failure {
        pointer: pointer.to_string(),
        message,
    });
}

/// The query string as a JSON object for a query schema: each parameter (percent-decoded,
/// `+` as space) becomes a property, its value read as the type the schema's property asks
/// for (`integer`, `number`, `boolean`) when it parses as one, else kept as a string (and the
/// type check then reports it). A repeated parameter becomes an array.
pub fn query_object(schema: &Schema, query: Option<&str>) -> Value {
    let mut map = serde_json::Map::new();
    let root = schema.nodes.first();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, text) = (form_decode(raw_name), form_decode(raw_value));
        let wanted = root
            .and_then(|r| r.properties.iter().find(|(n, _)| *n == name))
            .and_then(|(_, i)| schema.nodes.get(usize::from(*i)))
            .map_or(0, |n| n.types);
        let value = typed(&text, wanted);
        match map.get_mut(&name) {
            Some(Value::Array(list)) => list.push(value),
            Some(first) => {
                let first = first.take();
                map.insert(name, Value::Array(vec![first, value]));
            }
            None => {
                map.insert(name, value);
            }
        }
    }
    Value::Object(map)
}

fn typed(text: &str, wanted: u8) -> Value {
    if wanted & types::INTEGER != 0 {
        if let Ok(i) = text.parse::<i64>() {
            return Value::from(i);
        }
    }
    if wanted & types::NUMBER != 0 {
        // Only a number a double holds exactly, written as JSON writes it: what passes is
        // what the origin reads (`100.0000000000000001` is not 100).
        if let Some(n) = text
            .parse::<f64>()
            .ok()
            .filter(|_| {
                serde_json::from_str::<serde_json::Number>(text).is_ok()
                    && crate::json_text::check(text).is_ok()
            })
            .and_then(serde_json::Number::from_f64)
        {
            return Value::Number(n);
        }
    }
    if wanted & types::BOOLEAN != 0 && (text == "true" || text == "false") {
        return Value::Bool(text == "true");
    }
    Value::String(text.to_string())
}

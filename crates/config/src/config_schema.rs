//! JSON Schemas of the routes/ files, generated from the serde shapes the checker parses with
//! ([`crate::schema`], each kind's `<Kind>Spec` in [`crate::kinds`]) and, for request-schema
//! files, from the keyword lists of [`crate::json_schema`]. Published as `schema/*.json` (see
//! [`published`]) so TOML and JSON editors complete keys and flag mistakes while typing.
//!
//! Contract: a schema is never stricter than the checker. Every file the checker accepts
//! validates; a file the schema rejects, the checker rejects too. Rules the checker applies
//! that the schema cannot state (references between files, placement, dates) are left out.
//! Draft-07 is used because it is what Taplo (Even Better TOML) and VS Code's JSON support
//! both understand.

use crate::schema::{GatewayFile, LifecycleSpec, RoutesFile};
use schemars::generate::SchemaSettings;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Value};

/// The published schema files: (path from the repository root, the schema). Regenerated
/// and compared by `crates/config/tests/config_schema.rs`.
pub fn published() -> Vec<(&'static str, Value)> {
    vec![
        ("schema/gateway.schema.json", gateway()),
        ("schema/routes.schema.json", routes()),
        ("schema/version.schema.json", version()),
        (
            "schema/request-schema.schema.json",
            crate::json_schema::keywords_schema(),
        ),
    ]
}

/// `schema/*.json` as written to disk: pretty JSON and a final newline.
pub fn render(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

/// The schema of `routes/gateway.toml`.
pub fn gateway() -> Value {
    root::<GatewayFile>("Gatehouse routes/gateway.toml")
}

/// The schema of a version folder's route files (`routes/<version>/*.toml` but
/// `version.toml`).
pub fn routes() -> Value {
    root::<RoutesFile>("Gatehouse route file (routes/<version>/*.toml)")
}

/// The schema of `routes/<version>/version.toml`.
pub fn version() -> Value {
    root::<LifecycleSpec>("Gatehouse routes/<version>/version.toml")
}

fn root<T: JsonSchema>(title: &str) -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    let mut value = schema.to_value();
    without_null(&mut value);
    value
}

/// TOML has no null: schemars' `null` for `Option` fields (in `type` lists, `anyOf` branches
/// and `default`s) is taken out, so editors neither offer nor show it.
fn without_null(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.get("default").is_some_and(Value::is_null) {
                map.remove("default");
            }
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(branches)) = map.get_mut("anyOf") {
                branches.retain(|b| *b != json!({ "type": "null" }));
            }
            map.values_mut().for_each(without_null);
        }
        Value::Array(items) => items.iter_mut().for_each(without_null),
        _ => {}
    }
}

/// A TOML value as the JSON a schema validator sees: tables become objects, datetimes their
/// RFC 3339 text (the checker reads dates from strings, so a datetime literal validates here
/// and fails there: looser, never stricter).
pub fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(n) => json!(n),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

// Schemas for the keys the checker keeps as raw TOML (`toml::Value`) to check them with its
// own rules. Each states what that rule accepts, or less.

/// A table of `T`s keyed by upstream, policy or plan name ([`crate::lex::is_name`]).
pub(crate) fn named<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "propertyNames": { "pattern": crate::lex::NAME_PATTERN },
        "additionalProperties": generator.subschema_for::<T>(),
    })
}

/// A `[policies.<name>]` table's name.
pub(crate) fn policy_name(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "pattern": crate::lex::NAME_PATTERN })
}

/// `log`: `"all"`, `"errors"` or `{ sample = <share above 0, at most 1> }`.
pub(crate) fn log_mode(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "Which requests get an access-log line: \"all\" (default), \"errors\", or { sample = 0.1 }.",
        "anyOf": [
            { "enum": ["all", "errors"] },
            {
                "type": "object",
                "properties": {
                    "sample": { "type": "number", "exclusiveMinimum": 0, "maximum": 1 }
                },
                "required": ["sample"],
                "additionalProperties": false
            }
        ]
    })
}

/// `gc_pace_slots`: a whole number from 0 (off) to the maximum.
pub(crate) fn gc_pace_slots(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "integer",
        "minimum": crate::table::gc_pace::OFF,
        "maximum": crate::table::gc_pace::MAX,
        "default": crate::table::gc_pace::DEFAULT,
    })
}

/// `docs.portal`: a path (default "/docs") or `false`.
pub(crate) fn portal(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "anyOf": [
            { "const": false },
            { "type": "string", "pattern": "^/[A-Za-z0-9/._-]+$" }
        ],
        "default": "/docs",
    })
}

/// `retries.on`, `breaker.on`: `"connect"`, `"timeout"`, 408, 429 or a 5xx status.
pub(crate) fn failures(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "items": {
            "anyOf": [
                { "enum": ["connect", "timeout", 408, 429] },
                { "type": "integer", "minimum": 500, "maximum": 599 }
            ]
        }
    })
}

/// A key the checker always rejects, with a message naming what replaced it.
pub(crate) fn renamed(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "Renamed: use on_error = \"deny\" (was fail = \"closed\") or on_error = \"allow\" (was fail = \"open\").",
        "deprecated": true,
        "not": {}
    })
}

/// A route's `methods`: names from [`crate::lex::METHODS`], upper-case.
pub(crate) fn methods(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "items": { "enum": crate::lex::METHODS },
    })
}

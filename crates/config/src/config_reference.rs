//! A Markdown configuration reference rendered from the generated schemas
//! ([`crate::config_schema`]): one table per routes/ file, a row per key with its type,
//! default and description. Being rendered from the schemas, it lists exactly the keys the
//! checker parses.

use serde_json::{Map, Value};

/// The whole reference: `routes/gateway.toml`, route files, `version.toml`, then the keywords
/// of request-schema files.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Configuration reference\n\nGenerated from the checker's own definitions \
         (`gatehouse_config::config_reference`) by `gatehouse reference`; the book's copy is \
         checked by `crates/config/tests/config_reference_doc.rs` (after changing a checker \
         shape: `UPDATE_REFERENCE=1 cargo test -p gatehouse-config --test \
         config_reference_doc`).\n",
    );
    for (heading, schema) in [
        ("`routes/gateway.toml`", crate::config_schema::gateway()),
        (
            "`routes/<version>/*.toml` (route files)",
            crate::config_schema::routes(),
        ),
        (
            "`routes/<version>/version.toml`",
            crate::config_schema::version(),
        ),
        (
            "`routes/schemas/*.json` (request schemas)",
            crate::json_schema::keywords_schema(),
        ),
    ] {
        out.push_str(&format!(
            "\n## {heading}\n\n| Key | Type | Default | Description |\n|---|---|---|---|\n"
        ));
        for row in rows(&schema) {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                row.key,
                cell(&row.kind),
                cell(&row.default),
                cell(&row.description)
            ));
        }
    }
    out
}

/// One key of a schema: its dotted path (`upstreams.<name>.retries.attempts`; a policy
/// kind's keys as `policies.<name>{kind="jwt"}.issuer`; list items as `route[].id`).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub key: String,
    pub kind: String,
    pub default: String,
    pub description: String,
}

/// Every key of `schema`, in document order of the walk (properties sorted by name).
pub fn rows(schema: &Value) -> Vec<Row> {
    let defs = schema
        .get("definitions")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    walk(schema, "", &defs, &mut Vec::new(), &mut out);
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The schema a `$ref` names, and the name (for cycle checks).
fn resolve<'a>(schema: &'a Value, defs: &'a Map<String, Value>) -> (&'a Value, Option<&'a str>) {
    match schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/definitions/"))
    {
        Some(name) => (defs.get(name).unwrap_or(schema), Some(name)),
        None => (schema, None),
    }
}

fn walk(
    schema: &Value,
    path: &str,
    defs: &Map<String, Value>,
    seen: &mut Vec<String>,
    out: &mut Vec<Row>,
) {
    let (schema, name) = resolve(schema, defs);
    if let Some(name) = name {
        if seen.iter().any(|s| s == name) {
            return;
        }
        seen.push(name.to_string());
    }
    for sub in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        walk(sub, path, defs, seen, out);
    }
    for key in ["oneOf", "anyOf"] {
        for sub in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (variant, _) = resolve(sub, defs);
            let tag = variant
                .pointer("/properties/kind/const")
                .or_else(|| variant.pointer("/properties/kind/enum/0"))
                .and_then(Value::as_str);
            match tag {
                Some(kind) => walk(sub, &format!("{path}{{kind=\"{kind}\"}}"), defs, seen, out),
                None => walk(sub, path, defs, seen, out),
            }
        }
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (key, sub) in props {
            let at = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            out.push(Row {
                key: at.clone(),
                kind: type_of(sub, defs),
                default: sub.get("default").map(Value::to_string).unwrap_or_default(),
                description: describe(sub, defs),
            });
            walk(sub, &at, defs, seen, out);
        }
    }
    if let Some(sub) = schema.get("additionalProperties").filter(|s| s.is_object()) {
        walk(sub, &format!("{path}.<name>"), defs, seen, out);
    }
    if let Some(sub) = schema.get("items").filter(|s| s.is_object()) {
        walk(sub, &format!("{path}[]"), defs, seen, out);
    }
    if name.is_some() {
        seen.pop();
    }
}

fn describe(schema: &Value, defs: &Map<String, Value>) -> String {
    let own = schema.get("description").and_then(Value::as_str);
    let (target, _) = resolve(schema, defs);
    own.or_else(|| target.get("description").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string()
}

fn type_of(schema: &Value, defs: &Map<String, Value>) -> String {
    let (schema, name) = resolve(schema, defs);
    if let Some(list) = schema.get("enum").and_then(Value::as_array) {
        let shown: Vec<String> = list.iter().map(Value::to_string).collect();
        return format!("one of {}", shown.join(", "));
    }
    if let Some(c) = schema.get("const") {
        return format!("{c}");
    }
    if let Some(t) = schema.get("type") {
        let base = match t {
            Value::String(s) => s.clone(),
            Value::Array(list) => list
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" or "),
            _ => String::new(),
        };
        let extra = match base.as_str() {
            "array" => schema
                .get("items")
                .map(|i| format!(" of {}", type_of(i, defs)))
                .unwrap_or_default(),
            "object" if schema.get("properties").is_none() => schema
                .get("additionalProperties")
                .filter(|a| a.is_object())
                .map(|a| format!(" of {}", type_of(a, defs)))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let pattern = schema
            .get("pattern")
            .and_then(Value::as_str)
            .map(|p| format!(" matching `{p}`"))
            .unwrap_or_default();
        return format!("{base}{extra}{pattern}");
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let shown: Vec<String> = list.iter().map(|s| type_of(s, defs)).collect();
            return shown.join(" or ");
        }
    }
    name.map(str::to_string).unwrap_or_else(|| "any".into())
}

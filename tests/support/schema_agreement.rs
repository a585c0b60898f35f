//! The checker with the published JSON Schemas (`schema/*.json`) beside it. [`check`] runs the
//! real checker and also validates every file against its schema with the `jsonschema` crate
//! (a real draft-07 validator): when the checker accepts a config the schema must too, so an
//! editor never flags what builds. Every config test checks through it, so each broken-config
//! case of those tests is also a schema case.

use gatehouse_config::check::{Checked, SourceFile};
use gatehouse_config::config_schema::{published, toml_to_json};
use serde_json::Value;

/// [`gatehouse_config::check::check`], panicking when it accepts a config the schema rejects.
pub fn check(files: &[SourceFile]) -> Result<Checked, Vec<String>> {
    let result = gatehouse_config::check::check(files);
    if result.is_ok() {
        let refused = schema_errors(files);
        assert!(
            refused.is_empty(),
            "the checker accepts a config that the JSON Schema rejects:\n{}",
            refused.join("\n")
        );
    }
    result
}

/// The published schema a routes/ file is checked against, by its path.
pub fn schema_file_for(path: &str) -> Option<&'static str> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["routes", "gateway.toml"] => Some("schema/gateway.schema.json"),
        ["routes", "schemas", f] if f.ends_with(".json") => {
            Some("schema/request-schema.schema.json")
        }
        ["routes", "protos" | "graphql", ..] => None,
        ["routes", _, "version.toml"] => Some("schema/version.schema.json"),
        ["routes", _, f] if f.ends_with(".toml") => Some("schema/routes.schema.json"),
        _ => None,
    }
}

thread_local! {
    static VALIDATORS: Vec<(&'static str, jsonschema::Validator)> = published()
        .into_iter()
        .map(|(file, schema)| (file, jsonschema::draft7::new(&schema).expect("a valid schema")))
        .collect();
}

/// What the schemas say of `files`: one line per violation. A file that is not TOML or JSON
/// at all is left to the checker (editors report syntax errors themselves).
pub fn schema_errors(files: &[SourceFile]) -> Vec<String> {
    VALIDATORS.with(|validators| {
        let mut out = Vec::new();
        for f in files {
            let Some(schema) = schema_file_for(&f.path) else {
                continue;
            };
            let instance: Value = if f.path.ends_with(".json") {
                match serde_json::from_str(&f.text) {
                    Ok(v) => v,
                    Err(_) => continue,
                }
            } else {
                match f.text.parse::<toml::Table>() {
                    Ok(t) => toml_to_json(&toml::Value::Table(t)),
                    Err(_) => continue,
                }
            };
            let validator = &validators.iter().find(|(n, _)| *n == schema).unwrap().1;
            for e in validator.iter_errors(&instance) {
                out.push(format!("{}: {}: {e}", f.path, e.instance_path));
            }
        }
        out
    })
}

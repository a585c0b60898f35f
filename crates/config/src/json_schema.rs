//! JSON Schema 2020-12 files (`routes/schemas/*.json`) compiled into the flat node table the
//! worker's `validation` walks ([`Node`]s of the table's [`crate::table::schema`]). Only the keywords listed in [`ASSERTIONS`] are
//! implemented; [`ANNOTATIONS`] are accepted and ignored; any other keyword fails the build
//! with the file, the JSON Pointer of the schema and the keyword.
//!
//! A schema that can reach itself through the keywords that apply to the same value (`allOf`,
//! `anyOf`, `oneOf`, `not`, `$ref`) without passing through one that descends into a member
//! or an item fails the build too: checking it would never end (`{"allOf": [{"$ref": "#"}]}`).
//! The validator bounds its work anyway (`crate::validation`).

use crate::leak;
use crate::table::schema::{Additional, Node};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Keywords that are checked.
pub const ASSERTIONS: &[&str] = &[
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minProperties",
    "maxProperties",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "$ref",
];

/// Keywords that only describe, accepted and ignored.
pub const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "$defs",
    "title",
    "description",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
];

const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// A schema file compiled: its nodes (root first) and the JSON itself (for OpenAPI).
#[derive(Debug, Clone)]
pub struct CompiledSchema {
    pub file: String,
    pub nodes: Vec<Node>,
    pub json: Value,
    /// Names of the root's properties with their type bits (for query parameters).
    pub root_properties: Vec<(String, u8)>,
}

/// Sets the node field a keyword compiles to.
type Setter<T> = fn(&mut Node, T);

struct Compiler<'a> {
    file: &'a str,
    root: &'a Value,
    nodes: Vec<Option<Node>>,
    /// Each node's JSON Pointer in the file.
    pointers: Vec<String>,
    /// Each node's subschemas that apply to the same value (`allOf`, `anyOf`, `oneOf`, `not`,
    /// `$ref`).
    in_place: Vec<Vec<u16>>,
    refs: HashMap<String, u16>,
    errors: Vec<String>,
}

/// Compiles one schema file; every problem found, each as `<file>: at <pointer>: <rule>`.
pub fn compile(file: &str, text: &str) -> Result<CompiledSchema, Vec<String>> {
    let json: Value =
        serde_json::from_str(text).map_err(|e| vec![format!("{file}: not JSON: {e}")])?;
    if let Some(d) = json.get("$schema") {
        if d.as_str() != Some(DIALECT) {
            return Err(vec![format!(
                "{file}: $schema must be \"{DIALECT}\" (JSON Schema 2020-12)"
            )]);
        }
    }
    let mut c = Compiler {
        file,
        root: &json,
        nodes: Vec::new(),
        pointers: Vec::new(),
        in_place: Vec::new(),
        refs: HashMap::new(),
        errors: Vec::new(),
    };
    c.node(&json, "");
    if c.errors.is_empty() {
        if let Some(cycle) = c.in_place_cycle() {
            let shown: Vec<&str> = cycle
                .iter()
                .map(|&i| match c.pointers[usize::from(i)].as_str() {
                    "" => "/",
                    p => p,
                })
                .collect();
            let at = c.pointers[usize::from(cycle[0])].clone();
            c.err(
                &at,
                format!(
                    "the schema reaches itself through allOf, anyOf, oneOf, not or $ref alone ({}), so checking a value would never end; recursion must pass through properties, additionalProperties, items or prefixItems",
                    shown.join(" -> ")
                ),
            );
        }
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    let root_properties = json
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(name, s)| (name.clone(), type_bits(s.get("type")).unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    Ok(CompiledSchema {
        file: file.to_string(),
        nodes: c
            .nodes
            .into_iter()
            .map(|n| n.unwrap_or(Node::ANY))
            .collect(),
        json,
        root_properties,
    })
}

fn type_bits(t: Option<&Value>) -> Option<u8> {
    let one = |s: &str| -> Option<u8> {
        Some(match s {
            "null" => 1,
            "boolean" => 2,
            "object" => 4,
            "array" => 8,
            "number" => 16,
            "string" => 32,
            "integer" => 64,
            _ => return None,
        })
    };
    match t? {
        Value::String(s) => one(s),
        Value::Array(list) => list
            .iter()
            .try_fold(0u8, |acc, v| Some(acc | one(v.as_str()?)?)),
        _ => None,
    }
}

impl Compiler<'_> {
    fn err(&mut self, at: &str, rule: String) {
        let at = if at.is_empty() { "/" } else { at };
        self.errors.push(format!("{}: at {at}: {rule}", self.file));
    }

    /// Compiles the schema at `pointer`; answers its index.
    fn node(&mut self, schema: &Value, pointer: &str) -> u16 {
        let index = self.nodes.len() as u16;
        self.nodes.push(None);
        self.pointers.push(pointer.to_string());
        self.in_place.push(Vec::new());
        let literal = match schema {
            Value::Bool(b) => Node {
                always: Some(*b),
                ..Node::ANY
            },
            Value::Object(map) => self.object(index, map, pointer),
            _ => {
                self.err(pointer, "a schema is an object or a boolean".into());
                Node::ANY
            }
        };
        self.nodes[usize::from(index)] = Some(literal);
        index
    }

    /// The first cycle of `in_place` edges (its nodes, the first repeated at the end), in node
    /// order.
    fn in_place_cycle(&self) -> Option<Vec<u16>> {
        // 0: not seen, 1: on the current path, 2: done (no cycle through it).
        let mut state = vec![0u8; self.in_place.len()];
        let mut path = Vec::new();
        (0..self.in_place.len() as u16).find_map(|start| self.visit(start, &mut state, &mut path))
    }

    fn visit(&self, at: u16, state: &mut [u8], path: &mut Vec<u16>) -> Option<Vec<u16>> {
        if state[usize::from(at)] != 0 {
            return None;
        }
        state[usize::from(at)] = 1;
        path.push(at);
        for &next in &self.in_place[usize::from(at)] {
            if state[usize::from(next)] == 1 {
                let from = path.iter().position(|&p| p == next).unwrap_or(0);
                let mut cycle = path[from..].to_vec();
                cycle.push(next);
                return Some(cycle);
            }
            if let Some(cycle) = self.visit(next, state, path) {
                return Some(cycle);
            }
        }
        path.pop();
        state[usize::from(at)] = 2;
        None
    }

    fn object(&mut self, index: u16, map: &Map<String, Value>, pointer: &str) -> Node {
        let mut node = Node::ANY;
        for key in map.keys() {
            if !ASSERTIONS.contains(&key.as_str()) && !ANNOTATIONS.contains(&key.as_str()) {
                self.err(
                    pointer,
                    format!(
                        "keyword \"{key}\" is not implemented by Gatehouse (supported: {})",
                        ASSERTIONS.join(", ")
                    ),
                );
            }
        }
        if let Some(r) = map.get("$ref") {
            if map
                .keys()
                .any(|k| ASSERTIONS.contains(&k.as_str()) && k != "$ref")
            {
                self.err(
                    pointer,
                    "$ref cannot be combined with other assertions here; wrap them in allOf".into(),
                );
            }
            let target = r.as_str().unwrap_or_default().to_string();
            let at = self.reference(&target, pointer);
            self.in_place[usize::from(index)].push(at);
            node.all_of = leak::slice(vec![at]);
        }
        if let Some(t) = map.get("type") {
            match type_bits(Some(t)) {
                Some(bits) => node.types = bits,
                None => self.err(pointer, "type: one of null, boolean, object, array, number, string, integer, or a list of them".into()),
            }
        }
        if let Some(e) = map.get("enum") {
            match e.as_array() {
                Some(list) if !list.is_empty() => {
                    let texts: Vec<String> = list.iter().map(Value::to_string).collect();
                    node.enumeration = Some(leak::strs(&texts));
                }
                _ => self.err(pointer, "enum: a non-empty array".into()),
            }
        }
        if let Some(c) = map.get("const") {
            node.constant = Some(leak::str(&c.to_string()));
        }
        if let Some(p) = map.get("properties") {
            match p.as_object() {
                Some(props) => {
                    let mut list = Vec::new();
                    for (name, s) in props {
                        let at = self.node(s, &format!("{pointer}/properties/{}", escape(name)));
                        list.push((leak::str(name), at));
                    }
                    node.properties = leak::slice(list);
                }
                None => self.err(pointer, "properties: an object of schemas".into()),
            }
        }
        if let Some(r) = map.get("required") {
            match r
                .as_array()
                .and_then(|l| l.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
            {
                Some(names) => node.required = leak::strs(&names),
                None => self.err(pointer, "required: an array of property names".into()),
            }
        }
        if let Some(a) = map.get("additionalProperties") {
            node.additional = match a {
                Value::Bool(true) => Additional::Any,
                Value::Bool(false) => Additional::Nothing,
                s => Additional::Schema(self.node(s, &format!("{pointer}/additionalProperties"))),
            };
        }
        if let Some(i) = map.get("items") {
            let at = self.node(i, &format!("{pointer}/items"));
            node.items = Some(at);
        }
        if let Some(p) = map.get("prefixItems") {
            match p.as_array() {
                Some(list) => {
                    let at: Vec<u16> = list
                        .iter()
                        .enumerate()
                        .map(|(i, s)| self.node(s, &format!("{pointer}/prefixItems/{i}")))
                        .collect();
                    node.prefix_items = leak::slice(at);
                }
                None => self.err(pointer, "prefixItems: an array of schemas".into()),
            }
        }
        let counts: [(&str, Setter<u64>); 6] = [
            ("minItems", |n, v| n.min_items = Some(v)),
            ("maxItems", |n, v| n.max_items = Some(v)),
            ("minLength", |n, v| n.min_length = Some(v)),
            ("maxLength", |n, v| n.max_length = Some(v)),
            ("minProperties", |n, v| n.min_properties = Some(v)),
            ("maxProperties", |n, v| n.max_properties = Some(v)),
        ];
        for (key, set) in counts {
            if let Some(v) = map.get(key) {
                match v.as_u64() {
                    Some(n) => set(&mut node, n),
                    None => self.err(pointer, format!("{key}: a non-negative integer")),
                }
            }
        }
        let bounds: [(&str, Setter<f64>); 5] = [
            ("minimum", |n, v| n.minimum = Some(v)),
            ("maximum", |n, v| n.maximum = Some(v)),
            ("exclusiveMinimum", |n, v| n.exclusive_minimum = Some(v)),
            ("exclusiveMaximum", |n, v| n.exclusive_maximum = Some(v)),
            ("multipleOf", |n, v| n.multiple_of = Some(v)),
        ];
        for (key, set) in bounds {
            if let Some(v) = map.get(key) {
                match v.as_f64() {
                    Some(n) if key != "multipleOf" || n > 0.0 => set(&mut node, n),
                    _ => self.err(pointer, format!("{key}: a number (multipleOf: above 0)")),
                }
            }
        }
        if let Some(v) = map.get("uniqueItems") {
            match v.as_bool() {
                Some(b) => node.unique_items = b,
                None => self.err(pointer, "uniqueItems: true or false".into()),
            }
        }
        let lists: [(&str, Setter<&'static [u16]>); 3] = [
            ("allOf", |n, v| n.all_of = v),
            ("anyOf", |n, v| n.any_of = v),
            ("oneOf", |n, v| n.one_of = v),
        ];
        for (key, set) in lists {
            if let Some(v) = map.get(key) {
                match v.as_array() {
                    Some(list) if !list.is_empty() => {
                        let at: Vec<u16> = list
                            .iter()
                            .enumerate()
                            .map(|(i, s)| self.node(s, &format!("{pointer}/{key}/{i}")))
                            .collect();
                        if key == "allOf" && map.contains_key("$ref") {
                            self.err(pointer, "allOf cannot be combined with $ref here".into());
                        }
                        self.in_place[usize::from(index)].extend(&at);
                        set(&mut node, leak::slice(at));
                    }
                    _ => self.err(pointer, format!("{key}: a non-empty array of schemas")),
                }
            }
        }
        if let Some(n) = map.get("not") {
            let at = self.node(n, &format!("{pointer}/not"));
            self.in_place[usize::from(index)].push(at);
            node.not = Some(at);
        }
        if let Some(defs) = map.get("$defs") {
            if !defs.is_object() {
                self.err(pointer, "$defs: an object of schemas".into());
            }
        }
        node
    }

    /// The node index of a local reference (`#` or `#/$defs/<name>`), compiling it once.
    fn reference(&mut self, target: &str, pointer: &str) -> u16 {
        if let Some(&at) = self.refs.get(target) {
            return at;
        }
        if target == "#" {
            return 0;
        }
        let Some(name) = target.strip_prefix("#/$defs/") else {
            self.err(
                pointer,
                format!("$ref \"{target}\": only \"#\" and \"#/$defs/<name>\" are supported"),
            );
            return 0;
        };
        let root = self.root;
        let Some(schema) = root.get("$defs").and_then(|d| d.get(unescape(name))) else {
            self.err(pointer, format!("$ref \"{target}\": no such definition"));
            return 0;
        };
        let at = self.nodes.len() as u16;
        self.refs.insert(target.to_string(), at);
        self.node(schema, &format!("/$defs/{name}"))
    }
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// A JSON Schema (draft-07, for editors) of the request-schema files `compile` accepts: an
/// object or boolean whose keys are [`ASSERTIONS`] and [`ANNOTATIONS`] only, each of the shape
/// `compile` reads (never stricter: what `compile` checks beyond shape, such as `$ref`
/// targets and cycles, is left to it). Published as `schema/request-schema.schema.json`.
pub fn keywords_schema() -> Value {
    let schema = serde_json::json!({ "$ref": "#/definitions/schema" });
    let schemas_array =
        |min: u64| serde_json::json!({ "type": "array", "minItems": min, "items": schema.clone() });
    let type_name = serde_json::json!({
        "enum": ["null", "boolean", "object", "array", "number", "string", "integer"]
    });
    let mut properties = Map::new();
    for &key in ASSERTIONS {
        let shape = match key {
            "type" => serde_json::json!({
                "anyOf": [type_name.clone(), { "type": "array", "items": type_name.clone() }]
            }),
            "enum" => serde_json::json!({ "type": "array", "minItems": 1 }),
            "const" => serde_json::json!(true),
            "properties" => serde_json::json!({
                "type": "object", "additionalProperties": schema.clone()
            }),
            "required" => serde_json::json!({ "type": "array", "items": { "type": "string" } }),
            "additionalProperties" | "items" | "not" => schema.clone(),
            "prefixItems" => schemas_array(0),
            "allOf" | "anyOf" | "oneOf" => schemas_array(1),
            "uniqueItems" => serde_json::json!({ "type": "boolean" }),
            "multipleOf" => serde_json::json!({ "type": "number", "exclusiveMinimum": 0 }),
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                serde_json::json!({ "type": "number" })
            }
            "$ref" => serde_json::json!({ "type": "string", "pattern": "^#(/\\$defs/.*)?$" }),
            // minItems, maxItems, minLength, maxLength, minProperties, maxProperties.
            _ => serde_json::json!({ "type": "integer", "minimum": 0 }),
        };
        properties.insert(key.to_string(), shape);
    }
    for &key in ANNOTATIONS {
        let shape = match key {
            "$defs" => serde_json::json!({ "type": "object" }),
            _ => serde_json::json!(true),
        };
        properties.insert(key.to_string(), shape);
    }
    serde_json::json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Gatehouse request schema (routes/schemas/*.json): JSON Schema 2020-12, the keywords Gatehouse implements",
        "allOf": [schema],
        "properties": { "$schema": { "const": DIALECT } },
        "definitions": {
            "schema": {
                "type": ["object", "boolean"],
                "properties": properties,
                "additionalProperties": false
            }
        }
    })
}

//! OpenAPI schemas for gRPC routes, from the messages `routes/protos/` compiled: each message
//! becomes `components.schemas["<package.Message>"]` in its proto3 JSON form (members by JSON
//! name, 64-bit integers as strings, enums by name, `bytes` as base64, maps as objects, the
//! well-known types in their JSON forms), and a route's parameters, request body and answer
//! refer to them.

use crate::table::proto::{BodyRule, Cardinality, GrpcCall, Kind, Protos, Wkt};
use serde_json::{json, Map, Value};

/// A `$ref` to message `index`, adding it (and every message it uses) to `schemas`.
pub fn message_ref(p: &Protos, index: u16, schemas: &mut Map<String, Value>) -> Value {
    let m = &p.messages[usize::from(index)];
    if let Some(wkt) = m.wkt {
        return match wkt {
            Wkt::Any => any_schema(p, schemas),
            wkt => wkt_schema(wkt, m.name),
        };
    }
    let reference = json!({ "$ref": format!("#/components/schemas/{}", m.name) });
    if schemas.contains_key(m.name) {
        return reference;
    }
    // Placed first, so a message that refers to itself finds it.
    schemas.insert(m.name.to_string(), json!({}));
    let mut properties = Map::new();
    for f in m.fields {
        let one = kind_schema(p, f.kind, schemas);
        let schema = match f.cardinality {
            Cardinality::Single => one,
            Cardinality::Repeated { .. } => json!({ "type": "array", "items": one }),
            Cardinality::Map { value, .. } => {
                json!({ "type": "object", "additionalProperties": kind_schema(p, value, schemas) })
            }
        };
        properties.insert(f.json_name.to_string(), schema);
    }
    schemas.insert(
        m.name.to_string(),
        json!({ "type": "object", "properties": properties, "additionalProperties": false }),
    );
    reference
}

/// The `pattern` of a `bytes` field: canonical, padded, standard base64.
pub const BASE64_PATTERN: &str =
    "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$";

/// Bytes as proto3 JSON: base64. The pattern is canonical padded standard base64, which every
/// proto3 JSON reader takes (the URL-safe one is read too, and left out here): the last
/// character before padding carries no stray bits (`aGk=`, not `aGl=`), as the gateway's
/// strict decoder requires.
fn base64() -> Value {
    json!({
        "type": "string",
        "contentEncoding": "base64",
        "pattern": BASE64_PATTERN,
    })
}

/// A 32-bit float's range: the decoder refuses a finite value outside it (400).
fn float32() -> Value {
    json!({ "type": "number", "format": "float", "minimum": f32::MIN, "maximum": f32::MAX })
}

/// 32-bit integers with their range: the decoder refuses a value outside it (400).
fn int32() -> Value {
    json!({ "type": "integer", "format": "int32", "minimum": i32::MIN, "maximum": i32::MAX })
}

fn uint32() -> Value {
    json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX })
}

/// 64-bit integers as proto3 JSON strings. The pattern allows at most 18 digits (19 unsigned),
/// which always fit: a longer string may not, and the decoder refuses it with 400.
fn int64() -> Value {
    json!({ "type": "string", "format": "int64", "pattern": "^-?[0-9]{1,18}$" })
}

fn uint64() -> Value {
    json!({ "type": "string", "format": "int64", "pattern": "^[0-9]{1,19}$" })
}

/// The schema of one value of `kind`.
pub fn kind_schema(p: &Protos, kind: Kind, schemas: &mut Map<String, Value>) -> Value {
    match kind {
        Kind::Double => json!({ "type": "number" }),
        Kind::Float => float32(),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => int32(),
        Kind::Uint32 | Kind::Fixed32 => uint32(),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => int64(),
        Kind::Uint64 | Kind::Fixed64 => uint64(),
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::String => json!({ "type": "string" }),
        Kind::Bytes => base64(),
        Kind::Enum(e) => {
            let e = &p.enums[usize::from(e)];
            if e.name == "google.protobuf.NullValue" {
                return json!({ "type": "null" });
            }
            let names: Vec<&str> = e.values.iter().map(|(n, _)| *n).collect();
            json!({ "type": "string", "enum": names })
        }
        Kind::Message(m) => message_ref(p, m, schemas),
    }
}

/// `google.protobuf.Any`: one of the messages the gateway knows (the decoder refuses any
/// other `@type`, 400), named by its type URL, with that message's members. The well-known
/// types, packed with a `value` member, are left out.
fn any_schema(p: &Protos, schemas: &mut Map<String, Value>) -> Value {
    let mut one_of = Vec::new();
    for (i, m) in p.messages.iter().enumerate() {
        if m.wkt.is_some() {
            continue;
        }
        let Ok(index) = u16::try_from(i) else { break };
        message_ref(p, index, schemas);
        // A message still being written (it holds this Any) is left out.
        let Some(props) = schemas
            .get(m.name)
            .and_then(|s| s.get("properties"))
            .cloned()
        else {
            continue;
        };
        let mut props = props;
        props["@type"] = json!({ "const": format!("type.googleapis.com/{}", m.name) });
        one_of.push(json!({ "type": "object", "required": ["@type"], "properties": props, "additionalProperties": false }));
    }
    json!({ "anyOf": one_of })
}

fn wkt_schema(wkt: Wkt, name: &str) -> Value {
    match wkt {
        Wkt::Timestamp => json!({ "type": "string", "format": "date-time" }),
        Wkt::Duration => json!({ "type": "string", "pattern": "^-?[0-9]{1,11}(\\.[0-9]{1,9})?s$" }),
        Wkt::FieldMask => json!({ "type": "string" }),
        Wkt::Struct => json!({ "type": "object" }),
        Wkt::Value => json!({}),
        Wkt::ListValue => json!({ "type": "array" }),
        Wkt::Empty => json!({ "type": "object", "additionalProperties": false }),
        // Written by `any_schema` (it needs the messages).
        Wkt::Any => json!({ "type": "object", "required": ["@type"] }),
        Wkt::Wrapper => match name.trim_start_matches("google.protobuf.") {
            "DoubleValue" => json!({ "type": "number" }),
            "FloatValue" => float32(),
            "Int32Value" => int32(),
            "UInt32Value" => uint32(),
            "Int64Value" => int64(),
            "UInt64Value" => uint64(),
            "BoolValue" => json!({ "type": "boolean" }),
            "BytesValue" => base64(),
            _ => json!({ "type": "string" }),
        },
    }
}

/// What a gRPC route adds to its operation: query parameters for the request message's
/// scalar fields not in the path, the request body, and the answer's content.
pub struct GrpcOperation {
    pub query: Vec<Value>,
    pub path_types: Vec<(String, Value)>,
    pub body: Option<Value>,
    pub answer: Value,
}

/// The operation parts of a route calling `call` (path parameters `path_params`, `method`).
pub fn grpc_operation(
    p: &Protos,
    call: &GrpcCall,
    path_params: &[String],
    method: &str,
    schemas: &mut Map<String, Value>,
) -> GrpcOperation {
    let input = &p.messages[usize::from(call.input)];
    let with_body = matches!(method, "POST" | "PUT" | "PATCH");
    let mut query = Vec::new();
    let mut path_types = Vec::new();
    for f in input.fields {
        let in_path = path_params
            .iter()
            .find(|n| **n == f.json_name || **n == f.name);
        if let Some(n) = in_path {
            path_types.push((n.clone(), kind_schema(p, f.kind, schemas)));
            continue;
        }
        let in_body = with_body
            && match call.body {
                BodyRule::Whole => true,
                BodyRule::Field(b) => b == f.json_name,
                BodyRule::Ignored => false,
            };
        let scalar = !matches!(f.kind, Kind::Message(_))
            && !matches!(f.cardinality, Cardinality::Map { .. });
        if !in_body && scalar {
            let one = kind_schema(p, f.kind, schemas);
            let schema = match f.cardinality {
                Cardinality::Repeated { .. } => json!({ "type": "array", "items": one }),
                _ => one,
            };
            query.push(
                json!({ "name": f.json_name, "in": "query", "required": false, "schema": schema }),
            );
        }
    }
    let body = match call.body {
        BodyRule::Whole if with_body => Some(message_ref(p, call.input, schemas)),
        BodyRule::Field(name) if with_body => input
            .fields
            .iter()
            .find(|f| f.json_name == name)
            .map(|f| kind_schema(p, f.kind, schemas)),
        _ => None,
    };
    let output = &p.messages[usize::from(call.output)];
    let mut answer = message_ref(p, call.output, schemas);
    if let Some(field) = call.response_body {
        if let Some(f) = output.fields.iter().find(|f| f.json_name == field) {
            answer = kind_schema(p, f.kind, schemas);
            if let Cardinality::Repeated { .. } = f.cardinality {
                answer = json!({ "type": "array", "items": answer });
            }
        }
    }
    let answer = if call.server_streaming {
        // One message per line, or one `data:` event per message.
        json!({
            "application/x-ndjson": { "schema": answer },
            "text/event-stream": { "schema": { "type": "string" } },
        })
    } else {
        json!({ "application/json": { "schema": answer } })
    };
    GrpcOperation {
        query,
        path_types,
        body,
        answer,
    }
}

//! Request values bound to message fields, as grpc-gateway and Envoy's transcoder bind them: a
//! path parameter or query parameter named `field` or `outer.inner` (by JSON or proto name)
//! sets that field of the request message. Values are text: numbers, enums and bytes take
//! their JSON string forms, `bool` is `true` or `false`, a repeated field gathers every value
//! given; a map cannot be bound.

use super::to_proto::{join, JsonError};
use gatehouse_config::table::proto::{Cardinality, Kind, Protos};
use serde_json::{Map, Value};

/// The most fields a parameter's name may nest (`a.b.c` is 3).
pub const MAX_NESTING: usize = 16;

/// Sets `field_path` of message number `message` in `target` (its JSON form) to `value`.
/// A path parameter replaces what the body set; a query parameter adds to a repeated field.
pub fn bind(
    protos: &Protos,
    message: u16,
    target: &mut Map<String, Value>,
    field_path: &str,
    value: &str,
) -> Result<(), JsonError> {
    if field_path.split('.').count() > MAX_NESTING {
        return Err(JsonError::new(field_path, "nests fields too deeply"));
    }
    bind_in(protos, message, target, field_path, value)
}

fn bind_in(
    protos: &Protos,
    message: u16,
    target: &mut Map<String, Value>,
    field_path: &str,
    value: &str,
) -> Result<(), JsonError> {
    let (head, rest) = match field_path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (field_path, None),
    };
    let m = &protos.messages[usize::from(message)];
    let Some(f) = m
        .fields
        .iter()
        .find(|f| f.json_name == head || f.name == head)
    else {
        return Err(JsonError::new(
            field_path,
            "is not a field of the request message",
        ));
    };
    let key = f.json_name.to_string();
    match (rest, f.kind, f.cardinality) {
        (Some(rest), Kind::Message(inner), Cardinality::Single)
            if protos.messages[usize::from(inner)].wkt.is_none() =>
        {
            let slot = target
                .entry(key)
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            let Value::Object(inner_map) = slot else {
                unreachable!("made an object above")
            };
            bind_in(protos, inner, inner_map, rest, value)
                .map_err(|e| JsonError::new(&join(head, &e.path), e.reason))
        }
        (Some(_), _, _) => Err(JsonError::new(field_path, "does not name a message field")),
        (None, _, Cardinality::Map { .. }) => Err(JsonError::new(
            field_path,
            "is a map: it cannot be set from a parameter",
        )),
        (None, kind, Cardinality::Repeated { .. }) => {
            let item = text_value(kind, value, field_path)?;
            match target
                .entry(key)
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(items) => items.push(item),
                slot => *slot = Value::Array(vec![item]),
            }
            Ok(())
        }
        (None, kind, Cardinality::Single) => {
            target.insert(key, text_value(kind, value, field_path)?);
            Ok(())
        }
    }
}

fn text_value(kind: Kind, value: &str, path: &str) -> Result<Value, JsonError> {
    Ok(match kind {
        Kind::Bool => match value {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(JsonError::new(path, "must be true or false")),
        },
        _ => Value::String(value.to_string()),
    })
}

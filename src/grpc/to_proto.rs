//! JSON to the protobuf binary format, by the proto3 JSON mapping: members by `json_name` or
//! field name, 64-bit integers as numbers or strings, enums by name or number, bytes as base64
//! (standard or URL-safe, padded or not), `null` as the default, and the well-known types in
//! their JSON forms. Anything else is an error naming the member's path: an unknown member, a
//! wrong type, an integer out of range, two members of one `oneof`.

use super::wire::{put_len, put_tag, put_varint, zigzag32, zigzag64, WireType};
use super::wkt;
use gatehouse_config::table::proto::{Cardinality, Field, Kind, Protos, Wkt};
use serde_json::Value;
use std::cell::Cell;

/// A member the mapping refuses: where (`items[2].priceCents`, empty for the whole body) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub path: String,
    pub reason: String,
}

impl JsonError {
    pub(super) fn new(path: &str, reason: impl Into<String>) -> Self {
        JsonError {
            path: path.to_string(),
            reason: reason.into(),
        }
    }

    pub(super) fn at(at: &At, reason: impl Into<String>) -> Self {
        JsonError {
            path: at.render(),
            reason: reason.into(),
        }
    }
}

/// How deeply messages may nest in the JSON (protobuf's own default limit).
pub const MAX_DEPTH: u32 = 100;

/// Where a value sits in the JSON being encoded. Rendered only for an error, so a long map key
/// or member name costs nothing per value beneath it.
#[derive(Debug, Clone, Copy)]
pub(super) enum At<'a> {
    Root,
    Member(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
    Key(&'a At<'a>, &'a str),
}

impl At<'_> {
    /// `items[2].priceCents`, `stock["eu"]`; empty for the whole body.
    pub(super) fn render(&self) -> String {
        match self {
            At::Root => String::new(),
            At::Member(parent, name) => join(&parent.render(), name),
            At::Index(parent, i) => format!("{}[{i}]", parent.render()),
            At::Key(parent, k) => format!("{}[{}]", parent.render(), Value::String(k.to_string())),
        }
    }
}

/// Message number `message` of `protos` from its JSON form.
pub fn encode(protos: &Protos, message: u16, json: &Value) -> Result<Vec<u8>, JsonError> {
    let mut out = Vec::new();
    let e = Encoder {
        protos,
        depth: Cell::new(0),
    };
    e.message(message, json, None, &At::Root, &mut out)?;
    Ok(out)
}

pub(super) fn join(path: &str, member: &str) -> String {
    if path.is_empty() {
        member.to_string()
    } else {
        format!("{path}.{member}")
    }
}

/// Writes messages of one set of protos (the well-known types reuse it for their parts).
pub(super) struct Encoder<'p> {
    pub(super) protos: &'p Protos,
    /// Messages entered and not yet left.
    depth: Cell<u32>,
}

impl Encoder<'_> {
    /// Message number `index` from `json`, leaving out the member named `skip` (an `Any`'s
    /// `@type`).
    pub(super) fn message(
        &self,
        index: u16,
        json: &Value,
        skip: Option<&str>,
        at: &At,
        out: &mut Vec<u8>,
    ) -> Result<(), JsonError> {
        if self.depth.get() >= MAX_DEPTH {
            return Err(JsonError::at(at, "nests messages too deeply"));
        }
        self.depth.set(self.depth.get() + 1);
        let written = self.message_body(index, json, skip, at, out);
        self.depth.set(self.depth.get() - 1);
        written
    }

    fn message_body(
        &self,
        index: u16,
        json: &Value,
        skip: Option<&str>,
        at: &At,
        out: &mut Vec<u8>,
    ) -> Result<(), JsonError> {
        let m = &self.protos.messages[usize::from(index)];
        if let Some(w) = m.wkt {
            return wkt::encode(self, w, m.fields, json, at, out);
        }
        let Value::Object(members) = json else {
            return Err(JsonError::at(at, "must be an object"));
        };
        let mut seen: Vec<(u32, Option<u16>)> = Vec::new();
        let mut set: Vec<(&Field, &Value, &str)> = Vec::new();
        for (key, value) in members {
            if Some(key.as_str()) == skip {
                continue;
            }
            let Some(f) = m
                .fields
                .iter()
                .find(|f| f.json_name == key || f.name == key)
            else {
                return Err(JsonError::at(
                    &At::Member(at, key),
                    "is not a field of this message",
                ));
            };
            if seen.iter().any(|(n, _)| *n == f.number) {
                return Err(JsonError::at(&At::Member(at, key), "is given twice"));
            }
            if value.is_null() && !self.takes_null(f) {
                seen.push((f.number, None));
                continue; // the default
            }
            if let Some(o) = f.oneof {
                if seen.iter().any(|(_, other)| *other == Some(o)) {
                    let member = At::Member(at, key);
                    return Err(JsonError::at(&member, "sets a second member of a oneof"));
                }
            }
            seen.push((f.number, f.oneof));
            set.push((f, value, key));
        }
        set.sort_by_key(|(f, _, _)| f.number);
        for (f, value, key) in set {
            self.field(f, value, &At::Member(at, key), out)?;
        }
        Ok(())
    }

    /// Whether JSON `null` is a value of this field rather than its default: a
    /// `google.protobuf.Value` (or `NullValue`) field.
    fn takes_null(&self, f: &Field) -> bool {
        f.cardinality == Cardinality::Single
            && match f.kind {
                Kind::Message(i) => self.protos.messages[usize::from(i)].wkt == Some(Wkt::Value),
                Kind::Enum(i) => self.protos.enums[usize::from(i)].name == wkt::NULL_VALUE,
                _ => false,
            }
    }

    pub(super) fn field(
        &self,
        f: &Field,
        v: &Value,
        at: &At,
        out: &mut Vec<u8>,
    ) -> Result<(), JsonError> {
        match f.cardinality {
            Cardinality::Single => self.value(f.number, f.kind, v, at, f.presence, out),
            Cardinality::Repeated { packed } => {
                let Value::Array(items) = v else {
                    return Err(JsonError::at(at, "must be an array"));
                };
                if packed && !items.is_empty() {
                    let mut run = Vec::new();
                    for (i, item) in items.iter().enumerate() {
                        if item.is_null() {
                            return Err(JsonError::at(&At::Index(at, i), "must not be null"));
                        }
                        self.packed(f.kind, item, &At::Index(at, i), &mut run)?;
                    }
                    put_len(out, f.number, &run);
                    return Ok(());
                }
                for (i, item) in items.iter().enumerate() {
                    let here = At::Index(at, i);
                    if item.is_null() && !matches!(self.null_kind(f.kind), Some(true)) {
                        return Err(JsonError::at(&here, "must not be null"));
                    }
                    self.value(f.number, f.kind, item, &here, true, out)?;
                }
                Ok(())
            }
            Cardinality::Map { key, value } => {
                let Value::Object(entries) = v else {
                    return Err(JsonError::at(at, "must be an object"));
                };
                for (k, item) in entries {
                    let here = At::Key(at, k);
                    let mut entry = Vec::new();
                    let key_json = map_key(key, k, &here)?;
                    self.value(1, key, &key_json, &here, false, &mut entry)?;
                    if item.is_null() && !matches!(self.null_kind(value), Some(true)) {
                        return Err(JsonError::at(&here, "must not be null"));
                    }
                    self.value(2, value, item, &here, false, &mut entry)?;
                    put_len(out, f.number, &entry);
                }
                Ok(())
            }
        }
    }

    /// `Some(true)` when JSON null is a value of `kind` (`Value`, `NullValue`).
    fn null_kind(&self, kind: Kind) -> Option<bool> {
        match kind {
            Kind::Message(i) => Some(self.protos.messages[usize::from(i)].wkt == Some(Wkt::Value)),
            Kind::Enum(i) => Some(self.protos.enums[usize::from(i)].name == wkt::NULL_VALUE),
            _ => None,
        }
    }

    /// One value as a record of field `number`; a default is left out unless `presence`.
    pub(super) fn value(
        &self,
        number: u32,
        kind: Kind,
        v: &Value,
        at: &At,
        presence: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), JsonError> {
        match kind {
            Kind::Message(i) => {
                let mut body = Vec::new();
                self.message(i, v, None, at, &mut body)?;
                put_len(out, number, &body);
            }
            Kind::String => {
                let s = v
                    .as_str()
                    .ok_or_else(|| JsonError::at(at, "must be a string"))?;
                if presence || !s.is_empty() {
                    put_len(out, number, s.as_bytes());
                }
            }
            Kind::Bytes => {
                let b = wkt::base64(v, at)?;
                if presence || !b.is_empty() {
                    put_len(out, number, &b);
                }
            }
            _ => {
                let mut one = Vec::new();
                let default = self.packed(kind, v, at, &mut one)?;
                if presence || !default {
                    let wire = match kind {
                        Kind::Double | Kind::Fixed64 | Kind::Sfixed64 => WireType::Fixed64,
                        Kind::Float | Kind::Fixed32 | Kind::Sfixed32 => WireType::Fixed32,
                        _ => WireType::Varint,
                    };
                    put_tag(out, number, wire);
                    out.extend_from_slice(&one);
                }
            }
        }
        Ok(())
    }

    /// A scalar or enum's bytes without a tag (as in a packed run); whether it is the default.
    fn packed(&self, kind: Kind, v: &Value, at: &At, out: &mut Vec<u8>) -> Result<bool, JsonError> {
        let default = match kind {
            Kind::Double => {
                let x = float(v, at)?;
                out.extend_from_slice(&x.to_le_bytes());
                x == 0.0 && x.is_sign_positive()
            }
            Kind::Float => {
                let x = float(v, at)?;
                if x.is_finite() && (x as f32).is_infinite() {
                    return Err(JsonError::at(at, "is out of range for a float"));
                }
                out.extend_from_slice(&(x as f32).to_le_bytes());
                x == 0.0 && x.is_sign_positive()
            }
            Kind::Int32 => {
                let x = int(v, at, i64::from(i32::MIN), i64::from(i32::MAX))?;
                put_varint(out, x as u64); // negative int32s take ten bytes, as specified
                x == 0
            }
            Kind::Int64 => {
                let x = int(v, at, i64::MIN, i64::MAX)?;
                put_varint(out, x as u64);
                x == 0
            }
            Kind::Uint32 => {
                let x = uint(v, at, u64::from(u32::MAX))?;
                put_varint(out, x);
                x == 0
            }
            Kind::Uint64 => {
                let x = uint(v, at, u64::MAX)?;
                put_varint(out, x);
                x == 0
            }
            Kind::Sint32 => {
                let x = int(v, at, i64::from(i32::MIN), i64::from(i32::MAX))?;
                put_varint(out, zigzag32(x as i32));
                x == 0
            }
            Kind::Sint64 => {
                let x = int(v, at, i64::MIN, i64::MAX)?;
                put_varint(out, zigzag64(x));
                x == 0
            }
            Kind::Fixed32 => {
                let x = uint(v, at, u64::from(u32::MAX))?;
                out.extend_from_slice(&(x as u32).to_le_bytes());
                x == 0
            }
            Kind::Fixed64 => {
                let x = uint(v, at, u64::MAX)?;
                out.extend_from_slice(&x.to_le_bytes());
                x == 0
            }
            Kind::Sfixed32 => {
                let x = int(v, at, i64::from(i32::MIN), i64::from(i32::MAX))?;
                out.extend_from_slice(&(x as i32).to_le_bytes());
                x == 0
            }
            Kind::Sfixed64 => {
                let x = int(v, at, i64::MIN, i64::MAX)?;
                out.extend_from_slice(&x.to_le_bytes());
                x == 0
            }
            Kind::Bool => {
                let b = v
                    .as_bool()
                    .ok_or_else(|| JsonError::at(at, "must be true or false"))?;
                out.push(u8::from(b));
                !b
            }
            Kind::Enum(i) => {
                let e = &self.protos.enums[usize::from(i)];
                let n = match v {
                    Value::Null if e.name == wkt::NULL_VALUE => 0,
                    Value::String(name) => e
                        .values
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, number)| *number)
                        .ok_or_else(|| {
                            JsonError::at(at, format!("is not a value of {}", e.name))
                        })?,
                    _ => int(v, at, i64::from(i32::MIN), i64::from(i32::MAX))? as i32,
                };
                put_varint(out, i64::from(n) as u64);
                n == 0
            }
            Kind::String | Kind::Bytes | Kind::Message(_) => {
                return Err(JsonError::at(at, "cannot be packed"))
            }
        };
        Ok(default)
    }
}

/// A map key (always a JSON string) as the JSON value of its kind.
fn map_key(kind: Kind, k: &str, at: &At) -> Result<Value, JsonError> {
    Ok(match kind {
        Kind::String => Value::String(k.to_string()),
        Kind::Bool => match k {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(JsonError::at(at, "the key must be true or false")),
        },
        _ => Value::String(k.to_string()), // integers: parsed from the string like any other
    })
}

/// An integer from a JSON number or a decimal string, within `min..=max`.
fn int(v: &Value, at: &At, min: i64, max: i64) -> Result<i64, JsonError> {
    let out_of_range = || JsonError::at(at, format!("must be an integer from {min} to {max}"));
    let x = match v {
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i,
            (None, Some(_), _) => return Err(out_of_range()),
            (None, None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => f as i64,
            _ => return Err(out_of_range()),
        },
        Value::String(s) => s.parse::<i64>().map_err(|_| out_of_range())?,
        _ => return Err(out_of_range()),
    };
    if x < min || x > max {
        return Err(out_of_range());
    }
    Ok(x)
}

/// An unsigned integer from a JSON number or a decimal string, at most `max`.
fn uint(v: &Value, at: &At, max: u64) -> Result<u64, JsonError> {
    let out_of_range = || JsonError::at(at, format!("must be an integer from 0 to {max}"));
    let x = match v {
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(u), _) => u,
            (None, Some(f)) if f.fract() == 0.0 && (0.0..1.8e19).contains(&f) => f as u64,
            _ => return Err(out_of_range()),
        },
        Value::String(s) => s.parse::<u64>().map_err(|_| out_of_range())?,
        _ => return Err(out_of_range()),
    };
    if x > max {
        return Err(out_of_range());
    }
    Ok(x)
}

/// A float from a JSON number, a numeric string, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
fn float(v: &Value, at: &At) -> Result<f64, JsonError> {
    let not = || JsonError::at(at, "must be a number");
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(not),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => s
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(not),
        },
        _ => Err(not()),
    }
}

//! The protobuf binary format to JSON, by the proto3 JSON mapping: members by `json_name`,
//! fields at their default left out (unless they track presence), 64-bit integers as strings,
//! enums by name (a number the enum does not know stays a number), bytes as padded base64,
//! non-finite floats as `"NaN"`, `"Infinity"`, `"-Infinity"`, and the well-known types in
//! their JSON forms. Unknown fields are skipped; malformed bytes are [`Malformed`].

use super::wire::{unzigzag32, unzigzag64, Malformed, Reader, Value as Wire};
use super::wkt;
use gatehouse_config::table::proto::{Cardinality, Field, Kind, Protos};
use serde_json::{Map, Value};
use std::cell::Cell;

/// How deeply messages may nest (protobuf's own default limit): deeper is [`Malformed`], so
/// an answer cannot exhaust the stack.
pub const MAX_DEPTH: u32 = 100;

/// The most values (scalars, list items, map entries, messages) one answer may hold: more is
/// [`Malformed`], so a small packed run cannot expand into hundreds of MB of JSON.
pub const MAX_VALUES: u32 = 262_144;

/// The most bytes one answer may copy to merge a message field sent in several parts (each
/// nesting level can hold a copy): more is [`Malformed`], so a deep chain of split messages
/// cannot hold hundreds of MB.
pub const MAX_MERGED: usize = 8 * 1024 * 1024;

/// Message number `message` of `protos`, read from `bytes`, as JSON.
pub fn decode(protos: &Protos, message: u16, bytes: &[u8]) -> Result<Value, Malformed> {
    Decoder {
        protos,
        depth: Cell::new(0),
        values: Cell::new(0),
        merged: Cell::new(0),
    }
    .message(message, bytes)
}

/// What has been read for one field.
pub(super) enum Slot<'a> {
    Unset,
    One(Value),
    /// A message field's occurrences, borrowed; read as one (concatenated, which is how
    /// protobuf merges them).
    Message(Vec<&'a [u8]>),
    List(Vec<Value>),
    Map(Map<String, Value>),
}

/// Reads messages of one set of protos (the well-known types reuse it for their parts).
pub(super) struct Decoder<'p> {
    pub(super) protos: &'p Protos,
    /// Messages entered and not yet left.
    depth: Cell<u32>,
    /// Values read so far.
    values: Cell<u32>,
    /// Bytes copied to merge split message fields so far.
    merged: Cell<usize>,
}

impl Decoder<'_> {
    pub(super) fn message(&self, index: u16, bytes: &[u8]) -> Result<Value, Malformed> {
        if self.depth.get() >= MAX_DEPTH {
            return Err(Malformed);
        }
        self.count()?;
        self.depth.set(self.depth.get() + 1);
        let value = self.message_body(index, bytes);
        self.depth.set(self.depth.get() - 1);
        value
    }

    fn message_body(&self, index: u16, bytes: &[u8]) -> Result<Value, Malformed> {
        let m = &self.protos.messages[usize::from(index)];
        if let Some(w) = m.wkt {
            return wkt::decode(self, w, m.fields, bytes);
        }
        let slots = self.read(m.fields, bytes)?;
        let mut out = Map::new();
        for (f, slot) in m.fields.iter().zip(slots) {
            let value = match slot {
                Slot::Unset => continue,
                Slot::One(v) => v,
                Slot::Message(parts) => match f.kind {
                    Kind::Message(i) => self.message(i, &self.merged(&parts)?)?,
                    _ => return Err(Malformed),
                },
                Slot::List(items) if items.is_empty() => continue,
                Slot::List(items) => Value::Array(items),
                Slot::Map(entries) if entries.is_empty() => continue,
                Slot::Map(entries) => Value::Object(entries),
            };
            out.insert(f.json_name.to_string(), value);
        }
        Ok(Value::Object(out))
    }

    /// Every field's value from `bytes`, in the order of `fields`.
    pub(super) fn read<'b>(
        &self,
        fields: &[Field],
        bytes: &'b [u8],
    ) -> Result<Vec<Slot<'b>>, Malformed> {
        let mut slots: Vec<Slot> = fields.iter().map(|_| Slot::Unset).collect();
        let mut r = Reader::new(bytes);
        while let Some((number, wire)) = r.record()? {
            let Some(at) = fields.iter().position(|f| f.number == number) else {
                continue; // unknown: skipped
            };
            let f = &fields[at];
            match f.cardinality {
                Cardinality::Single => match (f.kind, wire) {
                    (Kind::Message(_), Wire::Len(b)) => match &mut slots[at] {
                        Slot::Message(parts) => parts.push(b),
                        slot => *slot = Slot::Message(vec![b]),
                    },
                    _ => {
                        let (v, default) = self.scalar(f.kind, wire)?;
                        slots[at] = if default && !f.presence {
                            Slot::Unset
                        } else {
                            Slot::One(v)
                        };
                    }
                },
                Cardinality::Repeated { .. } => {
                    let mut items = match std::mem::replace(&mut slots[at], Slot::Unset) {
                        Slot::List(items) => items,
                        _ => Vec::new(),
                    };
                    match (f.kind, wire) {
                        (Kind::Message(i), Wire::Len(b)) => items.push(self.message(i, b)?),
                        (Kind::String | Kind::Bytes, _) => items.push(self.scalar(f.kind, wire)?.0),
                        (_, Wire::Len(run)) => self.unpack(f.kind, run, &mut items)?,
                        _ => items.push(self.scalar(f.kind, wire)?.0),
                    }
                    slots[at] = Slot::List(items);
                }
                Cardinality::Map { key, value } => {
                    let Wire::Len(entry) = wire else {
                        return Err(Malformed);
                    };
                    let mut entries = match std::mem::replace(&mut slots[at], Slot::Unset) {
                        Slot::Map(entries) => entries,
                        _ => Map::new(),
                    };
                    let (k, v) = self.entry(key, value, entry)?;
                    entries.insert(k, v);
                    slots[at] = Slot::Map(entries);
                }
            }
        }
        Ok(slots)
    }

    /// A map entry: its key as a JSON member name, and its value (a default when absent).
    fn entry(&self, key: Kind, value: Kind, bytes: &[u8]) -> Result<(String, Value), Malformed> {
        let (mut k, mut v) = (None, None);
        let mut r = Reader::new(bytes);
        while let Some((number, wire)) = r.record()? {
            match (number, value, wire) {
                (1, _, _) => k = Some(self.scalar(key, wire)?.0),
                (2, Kind::Message(i), Wire::Len(b)) => v = Some(self.message(i, b)?),
                (2, _, _) => v = Some(self.scalar(value, wire)?.0),
                _ => {}
            }
        }
        let k = match k {
            Some(k) => k,
            None => self.default_json(key)?,
        };
        let k = match k {
            Value::String(s) => s,
            other => other.to_string(),
        };
        let v = match v {
            Some(v) => v,
            None => self.default_json(value)?,
        };
        Ok((k, v))
    }

    /// The JSON of a field's default value.
    pub(super) fn default_json(&self, kind: Kind) -> Result<Value, Malformed> {
        Ok(match kind {
            Kind::Message(i) => self.message(i, &[])?,
            Kind::Bytes => self.scalar(kind, Wire::Len(&[]))?.0,
            Kind::String => Value::String(String::new()),
            Kind::Double | Kind::Fixed64 | Kind::Sfixed64 => self.scalar(kind, Wire::Fixed64(0))?.0,
            Kind::Float | Kind::Fixed32 | Kind::Sfixed32 => self.scalar(kind, Wire::Fixed32(0))?.0,
            _ => self.scalar(kind, Wire::Varint(0))?.0,
        })
    }

    /// A packed run of `kind` values.
    fn unpack(&self, kind: Kind, run: &[u8], items: &mut Vec<Value>) -> Result<(), Malformed> {
        let mut r = Reader::new(run);
        while !r.is_empty() {
            let wire = match kind {
                Kind::Double | Kind::Fixed64 | Kind::Sfixed64 => Wire::Fixed64(r.fixed64()?),
                Kind::Float | Kind::Fixed32 | Kind::Sfixed32 => Wire::Fixed32(r.fixed32()?),
                _ => Wire::Varint(r.varint()?),
            };
            items.push(self.scalar(kind, wire)?.0);
        }
        Ok(())
    }

    /// Counts one more value against [`MAX_VALUES`].
    fn count(&self) -> Result<(), Malformed> {
        let n = self.values.get() + 1;
        if n > MAX_VALUES {
            return Err(Malformed);
        }
        self.values.set(n);
        Ok(())
    }

    /// A scalar or enum value as JSON, and whether it is the default.
    pub(super) fn scalar(&self, kind: Kind, wire: Wire) -> Result<(Value, bool), Malformed> {
        self.count()?;
        let text = |s: String| Value::String(s);
        Ok(match (kind, wire) {
            (Kind::Int32, Wire::Varint(v)) => (Value::from(v as i32), v as i32 == 0),
            (Kind::Int64, Wire::Varint(v)) => (text((v as i64).to_string()), v == 0),
            (Kind::Uint32, Wire::Varint(v)) => (Value::from(v as u32), v as u32 == 0),
            (Kind::Uint64, Wire::Varint(v)) => (text(v.to_string()), v == 0),
            (Kind::Sint32, Wire::Varint(v)) => (Value::from(unzigzag32(v)), v as u32 == 0),
            (Kind::Sint64, Wire::Varint(v)) => (text(unzigzag64(v).to_string()), v == 0),
            (Kind::Bool, Wire::Varint(v)) => (Value::Bool(v != 0), v == 0),
            (Kind::Enum(i), Wire::Varint(v)) => {
                let n = v as i32;
                let e = &self.protos.enums[usize::from(i)];
                let json = if e.name == wkt::NULL_VALUE {
                    Value::Null
                } else {
                    e.values
                        .iter()
                        .find(|(_, number)| *number == n)
                        .map_or(Value::from(n), |(name, _)| text(name.to_string()))
                };
                (json, n == 0)
            }
            (Kind::Fixed32, Wire::Fixed32(v)) => (Value::from(v), v == 0),
            (Kind::Sfixed32, Wire::Fixed32(v)) => (Value::from(v as i32), v == 0),
            (Kind::Float, Wire::Fixed32(v)) => {
                let x = f32::from_bits(v);
                // Through its shortest decimal form: 0.1f32 is 0.1, not 0.10000000149011612.
                (float(x.to_string().parse().unwrap_or(f64::from(x))), v == 0)
            }
            (Kind::Fixed64, Wire::Fixed64(v)) => (text(v.to_string()), v == 0),
            (Kind::Sfixed64, Wire::Fixed64(v)) => (text((v as i64).to_string()), v == 0),
            (Kind::Double, Wire::Fixed64(v)) => (float(f64::from_bits(v)), v == 0),
            (Kind::String, Wire::Len(b)) => {
                let s = std::str::from_utf8(b).map_err(|_| Malformed)?;
                (text(s.to_string()), b.is_empty())
            }
            (Kind::Bytes, Wire::Len(b)) => (text(wkt::to_base64(b)), b.is_empty()),
            _ => return Err(Malformed),
        })
    }
}

impl Decoder<'_> {
    /// A message field's occurrences as one message: the one slice as it is, several joined
    /// (the copy counted against [`MAX_MERGED`]).
    pub(super) fn merged<'b>(
        &self,
        parts: &[&'b [u8]],
    ) -> Result<std::borrow::Cow<'b, [u8]>, Malformed> {
        match parts {
            [one] => Ok(std::borrow::Cow::Borrowed(one)),
            _ => {
                let len: usize = parts.iter().map(|p| p.len()).sum();
                let total = self.merged.get().saturating_add(len);
                if total > MAX_MERGED {
                    return Err(Malformed);
                }
                self.merged.set(total);
                Ok(std::borrow::Cow::Owned(parts.concat()))
            }
        }
    }
}

/// A double as JSON: a number, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
fn float(x: f64) -> Value {
    if x.is_nan() {
        Value::String("NaN".into())
    } else if x.is_infinite() {
        Value::String(if x > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

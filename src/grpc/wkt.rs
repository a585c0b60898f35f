//! The well-known types' JSON forms (`google/protobuf/*.proto`): Timestamp as RFC 3339 in UTC,
//! Duration as `"1.5s"`, FieldMask as `"a.bC,d"`, Struct/Value/ListValue as plain JSON, Empty
//! as `{}`, the wrappers as the wrapped value, Any as `{"@type": ..., ...}` for a message the
//! protos define. Also base64 for `bytes`.

use super::to_json::{Decoder, Slot};
use super::to_proto::{At, Encoder, JsonError};
use super::wire::{put_len, put_tag, put_varint, Malformed, Reader, Value as Wire, WireType};
use base64ct::{Base64, Base64Unpadded, Base64Url, Base64UrlUnpadded, Encoding};
use chrono::{DateTime, SecondsFormat};
use gatehouse_config::table::proto::{Field, Wkt};
use serde_json::{Map, Value};

/// The enum whose only value is JSON `null`.
pub const NULL_VALUE: &str = "google.protobuf.NullValue";

/// `Any` type URLs: this prefix and the message's full name.
const TYPE_URL_PREFIX: &str = "type.googleapis.com/";

/// The largest Duration, in seconds (10,000 years), as the spec bounds it.
const MAX_DURATION_S: i64 = 315_576_000_000;

/// Bytes from base64: standard or URL-safe alphabet, padded or not.
pub(super) fn base64(v: &Value, at: &At) -> Result<Vec<u8>, JsonError> {
    v.as_str()
        .and_then(from_base64)
        .ok_or_else(|| JsonError::at(at, "must be a base64 string"))
}

/// Bytes from base64 text: standard or URL-safe alphabet, padded or not.
pub fn from_base64(s: &str) -> Option<Vec<u8>> {
    Base64::decode_vec(s)
        .or_else(|_| Base64Unpadded::decode_vec(s))
        .or_else(|_| Base64Url::decode_vec(s))
        .or_else(|_| Base64UrlUnpadded::decode_vec(s))
        .ok()
}

/// Bytes as standard, padded base64.
pub fn to_base64(b: &[u8]) -> String {
    Base64::encode_string(b)
}

fn field(fields: &[Field], number: u32) -> &Field {
    fields
        .iter()
        .find(|f| f.number == number)
        .expect("the well-known type's own field")
}

/// A well-known type from its JSON form.
pub(super) fn encode(
    e: &Encoder,
    w: Wkt,
    fields: &[Field],
    json: &Value,
    at: &At,
    out: &mut Vec<u8>,
) -> Result<(), JsonError> {
    let string = || {
        json.as_str()
            .ok_or_else(|| JsonError::at(at, "must be a string"))
    };
    match w {
        Wkt::Timestamp => {
            let t = DateTime::parse_from_rfc3339(string()?)
                .ok()
                .filter(|t| (1..=9999).contains(&chrono::Datelike::year(&t.naive_utc())))
                // A leap second (`:60`) reads as nanos past one second: not a Timestamp.
                .filter(|t| t.timestamp_subsec_nanos() < 1_000_000_000)
                .ok_or_else(|| JsonError::at(at, "must be an RFC 3339 timestamp"))?;
            seconds_nanos(t.timestamp(), t.timestamp_subsec_nanos() as i32, out);
        }
        Wkt::Duration => {
            let (s, n) = parse_duration(string()?)
                .ok_or_else(|| JsonError::at(at, "must be a duration such as \"1.5s\""))?;
            seconds_nanos(s, n, out);
        }
        Wkt::FieldMask => {
            for p in string()?.split(',').filter(|p| !p.is_empty()) {
                put_len(out, 1, snake(p).as_bytes());
            }
        }
        Wkt::Struct => {
            if !json.is_object() {
                return Err(JsonError::at(at, "must be an object"));
            }
            e.field(field(fields, 1), json, at, out)?;
        }
        Wkt::ListValue => {
            if !json.is_array() {
                return Err(JsonError::at(at, "must be an array"));
            }
            e.field(field(fields, 1), json, at, out)?;
        }
        Wkt::Value => {
            let number = match json {
                Value::Null => 1,
                Value::Number(_) => 2,
                Value::String(_) => 3,
                Value::Bool(_) => 4,
                Value::Object(_) => 5,
                Value::Array(_) => 6,
            };
            e.value(number, field(fields, number).kind, json, at, true, out)?;
        }
        Wkt::Empty => match json {
            Value::Object(m) if m.is_empty() => {}
            _ => return Err(JsonError::at(at, "must be {}")),
        },
        Wkt::Wrapper => e.value(1, field(fields, 1).kind, json, at, false, out)?,
        Wkt::Any => {
            let Value::Object(members) = json else {
                return Err(JsonError::at(at, "must be an object with \"@type\""));
            };
            let type_at = At::Member(at, "@type");
            let url = members
                .get("@type")
                .and_then(Value::as_str)
                .ok_or_else(|| JsonError::at(&type_at, "must name the message's type"))?;
            let index = url
                .rsplit_once('/')
                .and_then(|(_, name)| e.protos.message(name))
                .ok_or_else(|| JsonError::at(&type_at, "is not a message this gateway knows"))?;
            let mut body = Vec::new();
            // The payload is read in place (never copied): a well-known type's JSON form is
            // the `value` member, a message's is every member but `@type`.
            match e.protos.messages[usize::from(index)].wkt {
                Some(_) => {
                    let value = members.get("value").unwrap_or(&Value::Null);
                    e.message(index, value, None, &At::Member(at, "value"), &mut body)?;
                }
                None => e.message(index, json, Some("@type"), at, &mut body)?,
            }
            put_len(out, 1, url.as_bytes());
            put_len(out, 2, &body);
        }
    }
    Ok(())
}

/// `seconds` (field 1) and `nanos` (field 2), each left out at 0.
fn seconds_nanos(seconds: i64, nanos: i32, out: &mut Vec<u8>) {
    if seconds != 0 {
        put_tag(out, 1, WireType::Varint);
        put_varint(out, seconds as u64);
    }
    if nanos != 0 {
        put_tag(out, 2, WireType::Varint);
        put_varint(out, i64::from(nanos) as u64);
    }
}

fn read_seconds_nanos(bytes: &[u8]) -> Result<(i64, i32), Malformed> {
    let (mut s, mut n) = (0i64, 0i32);
    let mut r = Reader::new(bytes);
    while let Some((number, wire)) = r.record()? {
        match (number, wire) {
            (1, Wire::Varint(v)) => s = v as i64,
            (2, Wire::Varint(v)) => n = v as i32,
            _ => {}
        }
    }
    Ok((s, n))
}

/// `"-1.5s"` as seconds and nanoseconds of the same sign.
fn parse_duration(s: &str) -> Option<(i64, i32)> {
    let body = s.strip_suffix('s')?;
    let (negative, digits) = match body.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: i64 = whole.parse().ok().filter(|s| *s <= MAX_DURATION_S)?;
    let nanos: i32 = format!("{fraction:0<9}").parse().ok()?;
    Some(if negative {
        (-seconds, -nanos)
    } else {
        (seconds, nanos)
    })
}

fn format_duration(seconds: i64, nanos: i32) -> String {
    let sign = if seconds < 0 || nanos < 0 { "-" } else { "" };
    let (s, n) = (seconds.unsigned_abs(), nanos.unsigned_abs());
    let fraction = match n {
        0 => String::new(),
        n if n % 1_000_000 == 0 => format!(".{:03}", n / 1_000_000),
        n if n % 1_000 == 0 => format!(".{:06}", n / 1_000),
        n => format!(".{n:09}"),
    };
    format!("{sign}{s}{fraction}s")
}

/// A FieldMask path from JSON (`fooBar.baz`) to proto (`foo_bar.baz`).
fn snake(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 4);
    for c in p.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A FieldMask path from proto to JSON.
fn camel(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut upper = false;
    for c in p.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// A well-known type's JSON form.
pub(super) fn decode(
    d: &Decoder,
    w: Wkt,
    fields: &[Field],
    bytes: &[u8],
) -> Result<Value, Malformed> {
    Ok(match w {
        Wkt::Timestamp => {
            let (s, n) = read_seconds_nanos(bytes)?;
            let t = DateTime::from_timestamp(s, n as u32).ok_or(Malformed)?;
            Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        }
        Wkt::Duration => {
            let (s, n) = read_seconds_nanos(bytes)?;
            Value::String(format_duration(s, n))
        }
        Wkt::FieldMask => {
            let mut paths = Vec::new();
            let mut r = Reader::new(bytes);
            while let Some((number, wire)) = r.record()? {
                if let (1, Wire::Len(b)) = (number, wire) {
                    paths.push(camel(std::str::from_utf8(b).map_err(|_| Malformed)?));
                }
            }
            Value::String(paths.join(","))
        }
        Wkt::Struct => match d.read(fields, bytes)?.into_iter().next() {
            Some(Slot::Map(m)) => Value::Object(m),
            _ => Value::Object(Map::new()),
        },
        Wkt::ListValue => match d.read(fields, bytes)?.into_iter().next() {
            Some(Slot::List(items)) => Value::Array(items),
            _ => Value::Array(Vec::new()),
        },
        Wkt::Value => {
            let slots = d.read(fields, bytes)?;
            let mut out = Value::Null;
            for (f, slot) in fields.iter().zip(slots) {
                out = match (f.kind, slot) {
                    (_, Slot::One(v)) => v,
                    (gatehouse_config::table::proto::Kind::Message(i), Slot::Message(parts)) => {
                        d.message(i, &d.merged(&parts)?)?
                    }
                    _ => continue,
                };
            }
            out
        }
        Wkt::Empty => Value::Object(Map::new()),
        Wkt::Wrapper => {
            let f = field(fields, 1);
            let mut value = None;
            let mut r = Reader::new(bytes);
            while let Some((number, wire)) = r.record()? {
                if number == 1 {
                    value = Some(d.scalar(f.kind, wire)?.0);
                }
            }
            match value {
                Some(v) => v,
                None => d.default_json(f.kind)?,
            }
        }
        Wkt::Any => {
            let (mut url, mut body): (&str, &[u8]) = ("", &[]);
            let mut r = Reader::new(bytes);
            while let Some((number, wire)) = r.record()? {
                match (number, wire) {
                    (1, Wire::Len(b)) => url = std::str::from_utf8(b).map_err(|_| Malformed)?,
                    (2, Wire::Len(b)) => body = b,
                    _ => {}
                }
            }
            let index = url
                .rsplit_once('/')
                .and_then(|(_, name)| d.protos.message(name))
                .ok_or(Malformed)?;
            let mut out = Map::new();
            out.insert("@type".into(), Value::String(url.to_string()));
            match (
                d.protos.messages[usize::from(index)].wkt,
                d.message(index, body)?,
            ) {
                (None, Value::Object(members)) => out.extend(members),
                (_, value) => {
                    out.insert("value".into(), value);
                }
            }
            Value::Object(out)
        }
    })
}

/// The `@type` of message `full_name` in an `Any`.
pub fn type_url(full_name: &str) -> String {
    format!("{TYPE_URL_PREFIX}{full_name}")
}

//! A failed call's `google.rpc.Status` details, as JSON for the problem's `grpc_details`:
//! from gRPC-Web's `grpc-status-details-bin` trailer (a base64 `google.rpc.Status`) or a
//! Connect error's `details` (`[{"type", "value"}]`).
//!
//! Contract: each detail is an `Any` in its JSON form: `{"@type": "type.googleapis.com/<name>",
//! ...its fields}` when `routes/protos/` defines the message, else `{"@type", "value"}` with
//! the bytes in base64. At most [`MAX_DETAILS`] are kept, each of at most [`MAX_DETAIL_BYTES`];
//! `google.rpc.DebugInfo` (stack traces, meant for the server's own people) is never passed
//! on; details that do not decode are left out (the status and message stand on their own).

use super::to_json::decode;
use super::wire::{Reader, Value as Wire};
use super::wkt::{from_base64, to_base64, type_url};
use gatehouse_config::table::proto::Protos;
use serde_json::{Map, Value};

/// The most details kept.
pub const MAX_DETAILS: usize = 16;

/// The largest detail kept (encoded).
pub const MAX_DETAIL_BYTES: usize = 16 * 1024;

/// Whether a detail of type `name` and `len` bytes is passed on.
fn kept(name: &str, len: usize) -> bool {
    len <= MAX_DETAIL_BYTES && name != "google.rpc.DebugInfo"
}

/// The details in a `grpc-status-details-bin` trailer.
pub fn from_status_bin(protos: &Protos, trailer: &str) -> Vec<Value> {
    let Some(bytes) = from_base64(trailer.trim()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut r = Reader::new(&bytes);
    while let Ok(Some((field, value))) = r.record() {
        if let (3, Wire::Len(any)) = (field, value) {
            if out.len() == MAX_DETAILS {
                break;
            }
            out.extend(any_from_bytes(protos, any));
        }
    }
    out
}

/// The details of a Connect error's `details` member.
pub fn from_connect(protos: &Protos, details: &Value) -> Vec<Value> {
    let Some(items) = details.as_array() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|d| {
            let name = d["type"].as_str()?;
            let bytes = from_base64(d["value"].as_str()?)?;
            kept(name, bytes.len()).then(|| any_json(protos, name, &bytes))
        })
        .take(MAX_DETAILS)
        .collect()
}

/// An encoded `google.protobuf.Any` (type_url 1, value 2) as JSON.
fn any_from_bytes(protos: &Protos, any: &[u8]) -> Option<Value> {
    let mut url = None;
    let mut value: &[u8] = &[];
    let mut r = Reader::new(any);
    while let Ok(Some((field, v))) = r.record() {
        match (field, v) {
            (1, Wire::Len(u)) => url = std::str::from_utf8(u).ok(),
            (2, Wire::Len(b)) => value = b,
            _ => {}
        }
    }
    let url = url?;
    let name = url.rsplit_once('/').map_or(url, |(_, n)| n);
    kept(name, value.len()).then(|| any_json(protos, name, value))
}

fn any_json(protos: &Protos, name: &str, bytes: &[u8]) -> Value {
    let mut out = Map::new();
    out.insert("@type".into(), type_url(name).into());
    let known = protos.messages.iter().position(|m| m.name == name);
    let wkt = known.is_some_and(|i| protos.messages[i].wkt.is_some());
    match known.and_then(|i| decode(protos, i as u16, bytes).ok()) {
        // A well-known type's JSON form goes under "value", as in any Any.
        Some(Value::Object(fields)) if !wkt => out.extend(fields),
        Some(other) => {
            out.insert("value".into(), other);
        }
        None => {
            out.insert("value".into(), to_base64(bytes).into());
        }
    }
    Value::Object(out)
}

//! Merging the parts' JSON into one response body.
//!
//! Each part, in config order: take `target` (a JSON Pointer) first; keep only the `allow`ed
//! top-level fields or drop the `deny`ed ones; `rename` top-level fields; then place the
//! result: by default under the part's name, or under `group` then the part's name; with
//! `merge = "deep"`, merged into the body (or into the group) instead.
//!
//! **Conflicts in a deep merge:** objects merge member by member, recursively; anything else
//! (two scalars, two arrays, an object and a scalar) is replaced by the later part's value, so
//! the part listed last in the route wins. The order parts *answered* in never matters.

use crate::transform::pointer;
use serde_json::{Map, Value};

pub use gatehouse_config::table::fan_out::Shape;

/// One part's JSON, shaped (`target`, `allow`/`deny`, `rename`).
pub fn shape(part: &Shape, body: Value) -> Value {
    let tokens: Vec<String> = part.target.iter().map(|t| t.to_string()).collect();
    let mut v = pointer::get(&body, &tokens).cloned().unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        if !part.allow.is_empty() {
            m.retain(|k, _| part.allow.contains(&k.as_str()));
        }
        m.retain(|k, _| !part.deny.contains(&k.as_str()));
        for (from, to) in part.rename {
            if let Some(x) = m.remove(*from) {
                m.insert(to.to_string(), x);
            }
        }
    }
    v
}

/// The merged body: `parts` in config order with their answers (`None`: the part failed and is
/// left out).
pub fn merge(parts: &[(Shape, Option<Value>)]) -> Value {
    let mut out = Map::new();
    for (part, body) in parts {
        let Some(body) = body else {
            continue;
        };
        let v = shape(part, body.clone());
        let into = match part.group {
            Some(g) => {
                let slot = out
                    .entry(g.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                slot.as_object_mut().expect("made an object above")
            }
            None => &mut out,
        };
        if part.deep {
            if let Value::Object(m) = v {
                deep_merge(into, m);
                continue;
            }
        }
        into.insert(part.name.to_string(), v);
    }
    Value::Object(out)
}

/// Merges `from` into `into`: objects member by member, anything else replaced.
pub fn deep_merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => deep_merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

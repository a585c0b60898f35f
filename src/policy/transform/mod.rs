//! `kind = "transform"`: edit the query and JSON body sent to the origin, and the JSON body
//! sent back.
//!
//! ```toml
//! [policies.shape]
//! kind = "transform"
//! request.query = { set = { "v" = "2" }, remove = ["debug"], rename = { "q" = "search" } }
//! request.body = { set = { "/source" = "\"gateway\"" }, remove = ["/internal"] }
//! response.body = { rename = { "/fullName" = "/name" }, mask = { "/card/number" = 4 }, allow = ["/id", "/name", "/card"] }
//! max_body = "1MiB"
//! ```
//!
//! Body edits run in this order: `rename`, `remove`, `set`, `mask`, then `allow` (only the
//! listed pointers are kept). Only JSON bodies (`application/json` or `+json`) are touched;
//! others pass as they are, streaming. A JSON body the policy must edit is read whole, up to
//! `max_body`: a request over it is 413 `payload-too-large`, a response over it (or not
//! valid JSON) is 502 `response-transform-failed`, so a filter such as `allow` or `mask`
//! never lets an unfiltered body through. An edited body gets the right `Content-Length`,
//! and its `ETag` is dropped (it no longer names the origin's representation).

#[cfg(target_arch = "wasm32")]
pub mod phases;

use crate::transform::mask::mask;
use crate::transform::pointer;
use serde_json::Value;

/// A JSON Pointer's unescaped tokens (`/card/number` is `["card", "number"]`).
pub type Pointer = &'static [&'static str];

pub use gatehouse_config::kinds::transform::{BodyEdits, QueryEdits, Transform};

fn tokens(p: Pointer) -> Vec<String> {
    p.iter().map(|t| t.to_string()).collect()
}

pub fn query_edits_empty(edits: &QueryEdits) -> bool {
    edits.set.is_empty() && edits.remove.is_empty() && edits.rename.is_empty()
}

/// The edited query (`None` when nothing is left): renames, then removals, then sets
/// (replacing every pair of that name), in the order the pairs came.
pub fn edit_query(edits: &QueryEdits, query: Option<&str>) -> Option<String> {
    let mut pairs: Vec<(String, Option<String>)> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (p.to_string(), None),
        })
        .collect();
    for (from, to) in edits.rename {
        for pair in pairs.iter_mut().filter(|(n, _)| n == from) {
            pair.0 = to.to_string();
        }
    }
    pairs.retain(|(n, _)| !edits.remove.contains(&n.as_str()));
    for (name, value) in edits.set {
        pairs.retain(|(n, _)| n != name);
        pairs.push((name.to_string(), Some(value.to_string())));
    }
    let joined: Vec<String> = pairs
        .into_iter()
        .map(|(n, v)| match v {
            Some(v) => format!("{n}={v}"),
            None => n,
        })
        .collect();
    (!joined.is_empty()).then(|| joined.join("&"))
}

pub fn body_edits_empty(edits: &BodyEdits) -> bool {
    edits.set.is_empty()
        && edits.remove.is_empty()
        && edits.rename.is_empty()
        && edits.mask.is_empty()
        && edits.allow.is_empty()
}

/// Applies the edits in their order. `set` into a place that cannot hold a member (a
/// string's child) is skipped.
pub fn edit_body(edits: &BodyEdits, doc: &mut Value) {
    for (from, to) in edits.rename {
        let _ = pointer::rename(doc, &tokens(from), &tokens(to));
    }
    for p in edits.remove {
        pointer::remove(doc, &tokens(p));
    }
    for (p, json) in edits.set {
        if let Ok(v) = serde_json::from_str(json) {
            let _ = pointer::set(doc, &tokens(p), v);
        }
    }
    for (p, keep) in edits.mask {
        let t = tokens(p);
        if let Some(v) = pointer::get(doc, &t) {
            let masked = mask(v, *keep as usize, '*');
            let _ = pointer::set(doc, &t, masked);
        }
    }
    if !edits.allow.is_empty() {
        let keep: Vec<Vec<String>> = edits.allow.iter().map(|p| tokens(p)).collect();
        *doc = pointer::keep_only(doc, &keep);
    }
}

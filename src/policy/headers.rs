//! `kind = "headers"`: set or remove headers towards the origin (`request`) and towards the
//! client (`response`).
//!
//! ```toml
//! [policies.tag-demo]
//! kind = "headers"
//! request  = { set = { "x-env" = "demo" }, remove = ["cookie"] }
//! response = { set = { "cache-control" = "no-store" }, remove = ["server"] }
//! ```
//! Gateway-owned (`x-request-id`, `traceparent`, `x-forwarded-*`, ...) and hop-by-hop headers
//! cannot be named: the build fails. Removals run before sets.

use crate::http::HeaderEdit;

pub use gatehouse_config::kinds::headers::{Edits, Headers};

pub fn apply<H: HeaderEdit>(edits: &Edits, h: &mut H) {
    for name in edits.remove {
        h.remove(name);
    }
    for (name, value) in edits.set {
        h.set(name, value);
    }
}

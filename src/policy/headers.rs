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

#[derive(Debug)]
pub struct Headers {
    pub request: Edits,
    pub response: Edits,
}

/// Header edits; names are lower-case.
#[derive(Debug)]
pub struct Edits {
    pub set: &'static [(&'static str, &'static str)],
    pub remove: &'static [&'static str],
}

impl Edits {
    pub fn apply<H: HeaderEdit>(&self, h: &mut H) {
        for name in self.remove {
            h.remove(name);
        }
        for (name, value) in self.set {
            h.set(name, value);
        }
    }
}

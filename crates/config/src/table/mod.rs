//! The compiled configuration's types: what `build.rs` writes as `$OUT_DIR/routes.rs` and the
//! worker reads, defined once here so the checker builds these very values (and a renamed
//! field fails where the checker builds it). Only `&'static` data, nothing parsed at runtime;
//! the worker's own modules (`src/`) give them their behaviour. Each kind's runtime type
//! lives with its checker in `kinds/<kind>.rs`.

pub mod cache_key;
pub mod fan_out;
pub mod gc_pace;
pub mod graphql;
pub mod http;
pub mod jwks;
pub mod lifecycle;
pub mod limit;
pub mod log;
pub mod proto;
pub mod route;
pub mod schema;
pub mod upstream;

use crate::kinds::Policy;
use lifecycle::Versioning;
use route::{PathGroup, Route};
use upstream::Upstream;

/// Everything routes/ compiled to.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table))]
pub struct Table {
    pub upstreams: &'static [Upstream],
    pub policies: &'static [Policy],
    pub routes: &'static [Route],
    pub paths: &'static [PathGroup],
    /// Headers authentication policies set (`forward`); stripped from every upstream request.
    pub identity_headers: &'static [&'static str],
    /// Version folders of routes/ (`v1`, `v2`).
    pub versions: &'static [&'static str],
    /// `[gateway] versioning`: how unprefixed paths pick a version.
    pub versioning: Option<Versioning>,
    /// Compiled request schemas (`body_schema`, `query_schema`); routes index into it.
    pub schemas: &'static [schema::Schema],
    /// `routes/protos/`, compiled: the messages gRPC routes translate.
    pub protos: proto::Protos,
    /// OpenAPI documents and the developer portal.
    pub docs: Docs,
    /// `[gateway] log`: which requests get an access-log line (routes may say otherwise).
    pub log: log::LogMode,
    /// `[gateway] analytics`: the Analytics Engine dataset binding, if any.
    pub analytics: Option<&'static str>,
    /// `[gateway] gc_pace_slots`: the slots of the array `src/entry.js` allocates per event
    /// ([`gc_pace::DEFAULT`] unless set; [`gc_pace::OFF`] allocates nothing).
    pub gc_pace_slots: u32,
}

/// What the build wrote to describe the API.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table))]
pub struct Docs {
    pub title: &'static str,
    /// The developer portal's path; `None` when it is off.
    pub portal: Option<&'static str>,
    /// OpenAPI 3.1 documents: the whole API (`prefix` ""), then one per version (`/v1`).
    pub openapi: &'static [OpenApiDoc],
}

/// One OpenAPI document, served at `<prefix>/openapi.json`.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table))]
pub struct OpenApiDoc {
    pub prefix: &'static str,
    pub json: &'static str,
    /// A strong validator of `json`.
    pub etag: &'static str,
    /// The operations with a sunset, in text order: from its sunset on, each one's live
    /// member `json[start..end]` is served as `retired` instead (and the ETag changes).
    pub sunsets: &'static [OpenApiSunset],
}

/// An operation of an [`OpenApiDoc`] that retires at `sunset_s` (Unix seconds).
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table))]
pub struct OpenApiSunset {
    pub sunset_s: i64,
    pub start: u32,
    pub end: u32,
    pub retired: &'static str,
}

impl OpenApiDoc {
    /// The document as it reads at `now_s` (Unix seconds), with its ETag: `json` itself until
    /// the first sunset, then with each operation past its sunset replaced by its retired
    /// text. `None` for the ETag means `etag` still holds.
    pub fn at(&self, now_s: i64) -> (std::borrow::Cow<'static, str>, Option<String>) {
        if !self.sunsets.iter().any(|s| s.sunset_s <= now_s) {
            return (std::borrow::Cow::Borrowed(self.json), None);
        }
        let mut out = String::with_capacity(self.json.len());
        let mut from = 0;
        for s in self.sunsets.iter().filter(|s| s.sunset_s <= now_s) {
            let (start, end) = (s.start as usize, s.end as usize);
            match (self.json.get(from..start), self.json.get(start..end)) {
                (Some(before), Some(_)) => {
                    out.push_str(before);
                    out.push_str(s.retired);
                    from = end;
                }
                // Out of order or off a character boundary: not a table the build writes;
                // the live text stays.
                _ => continue,
            }
        }
        out.push_str(self.json.get(from..).unwrap_or(""));
        let etag = format!("\"{:016x}\"", fnv1a(out.as_bytes()));
        (std::borrow::Cow::Owned(out), Some(etag))
    }
}

/// FNV-1a, 64 bits: the documents' ETags (the build's and [`OpenApiDoc::at`]'s).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Docs {
    /// No documents and no portal (tests and benchmarks).
    pub const NONE: Docs = Docs {
        title: "",
        portal: None,
        openapi: &[],
    };
}

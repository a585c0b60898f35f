//! The compiled configuration: static tables that `build.rs` generates from routes/.
//! Nothing here is parsed at runtime; the types only hold `&'static` data.

pub use crate::aggregate::merge::Shape;
pub use crate::aggregate::settings::{FanOut, Part};
pub use crate::aggregate::template::Piece;
pub use crate::http::limits::Limits;
pub use crate::http::method::Method;
pub use crate::http::url::UrlPart;
use crate::policy::Policy;
pub use crate::route::compiled::{Condition, PathGroup, Route};
pub use crate::route::lifecycle::{Lifecycle, Versioning};
pub use crate::route::rewrite::RewritePart;
pub use crate::upstream::breaker::BreakerSettings;
pub use crate::upstream::canary::{Canary, Sticky};
pub use crate::upstream::retry::{FailureSet, RetrySettings};
pub use crate::upstream::settings::{
    Balance, Fallback, HashOn, Mirror, Target, TargetAddr, Upstream,
};
pub use std::borrow::Cow;

/// Everything routes/ compiled to.
#[derive(Debug)]
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
    pub schemas: &'static [crate::validation::Schema],
    /// OpenAPI documents and the developer portal.
    pub docs: Docs,
    /// `[gateway] log`: which requests get an access-log line (routes may say otherwise).
    pub log: crate::metrics::LogMode,
    /// `[gateway] analytics`: the Analytics Engine dataset binding, if any.
    pub analytics: Option<&'static str>,
}

/// What the build wrote to describe the API.
#[derive(Debug)]
pub struct Docs {
    pub title: &'static str,
    /// The developer portal's path; `None` when it is off.
    pub portal: Option<&'static str>,
    /// OpenAPI 3.1 documents: the whole API (`prefix` ""), then one per version (`/v1`).
    pub openapi: &'static [OpenApiDoc],
}

/// One OpenAPI document, served at `<prefix>/openapi.json`.
#[derive(Debug)]
pub struct OpenApiDoc {
    pub prefix: &'static str,
    pub json: &'static str,
    /// A strong validator of `json`.
    pub etag: &'static str,
}

impl Docs {
    /// No documents and no portal (tests and benchmarks).
    pub const NONE: Docs = Docs {
        title: "",
        portal: None,
        openapi: &[],
    };
}

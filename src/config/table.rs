//! The compiled configuration: static tables that `build.rs` generates from routes/.
//! Nothing here is parsed at runtime; the types only hold `&'static` data.

pub use crate::aggregate::merge::Shape;
pub use crate::aggregate::settings::{FanOut, Part};
pub use crate::aggregate::template::Piece;
pub use crate::http::limits::Limits;
pub use crate::http::method::Method;
pub use crate::http::url::UrlPart;
pub use crate::route::compiled::{Condition, PathGroup, Route};
pub use crate::route::lifecycle::{Lifecycle, Versioning};
pub use crate::route::rewrite::RewritePart;
pub use crate::upstream::breaker::BreakerSettings;
pub use crate::upstream::canary::{Canary, Sticky};
pub use crate::upstream::retry::{FailureSet, RetrySettings};
pub use crate::upstream::settings::{
    Balance, Fallback, HashOn, Mirror, Target, TargetAddr, Upstream,
};
pub use gatehouse_config::table::{Docs, OpenApiDoc, Table};

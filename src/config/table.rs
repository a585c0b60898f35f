//! The compiled configuration's types, defined in `gatehouse-config` (`table/`, and each kind's
//! in `kinds/`) and re-exported here through the modules that give them their rules. They
//! only hold `&'static` data; nothing is parsed at runtime.

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

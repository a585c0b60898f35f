//! A fan-out route as compiled from its `fan_out` parts.

use super::merge::Shape;
use super::template::Piece;

/// A fan-out route's parts.
#[derive(Debug)]
pub struct FanOut {
    /// `on_partial = "fail"`: a failed optional part fails the answer too.
    pub fail_on_partial: bool,
    pub parts: &'static [Part],
}

/// One part of a fan-out.
#[derive(Debug)]
pub struct Part {
    /// Index into the table's `upstreams`.
    pub upstream: usize,
    pub path: &'static [Piece],
    pub method: &'static str,
    pub required: bool,
    /// Counted from the start of the fan-out (queueing included); `None`: the upstream's.
    pub timeout_ms: Option<u32>,
    /// Largest JSON answer read.
    pub max_bytes: u64,
    /// The client's credential headers this part receives (lower case); the others
    /// ([`crate::policy::fan_out::CREDENTIAL_HEADERS`] and every API-key header) are removed.
    pub credentials: &'static [&'static str],
    /// Its name and how its JSON is merged.
    pub shape: Shape,
}

//! A fan-out route as compiled from its `fan_out` parts.

use gatehouse_shared::template::Piece;

/// A fan-out route's parts.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::fan_out))]
pub struct FanOut {
    /// `on_partial = "fail"`: a failed optional part fails the answer too.
    pub fail_on_partial: bool,
    pub parts: &'static [Part],
}

/// One part of a fan-out.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::fan_out))]
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
    /// (the worker's `policy::fan_out::CREDENTIAL_HEADERS` and every API-key header) are removed.
    pub credentials: &'static [&'static str],
    /// Its name and how its JSON is merged.
    pub shape: Shape,
}

/// How one part's JSON is shaped and placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::fan_out))]
pub struct Shape {
    pub name: &'static str,
    /// JSON Pointer (unescaped tokens) to take first.
    pub target: &'static [&'static str],
    /// When non-empty, only these top-level fields are kept.
    pub allow: &'static [&'static str],
    pub deny: &'static [&'static str],
    /// (from, to) top-level field renames.
    pub rename: &'static [(&'static str, &'static str)],
    pub group: Option<&'static str>,
    pub deep: bool,
}

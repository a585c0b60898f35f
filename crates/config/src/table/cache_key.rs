//! Which query parameters a `cache` policy keys on.

/// Which query parameters are part of the key (and forwarded: the origin never sees a
/// parameter the key ignores).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::cache_key))]
pub enum QueryRule {
    /// Every parameter.
    All,
    /// Only these names.
    Allow(&'static [&'static str]),
    /// Every parameter except these names.
    Deny(&'static [&'static str]),
}

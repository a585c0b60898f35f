//! The JWKS timing knobs of a `jwt` policy.

/// The JWKS timing knobs of one `jwt` policy, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::jwks))]
pub struct JwksTimes {
    pub min_ttl_s: u32,
    pub max_ttl_s: u32,
    pub refetch_interval_s: u32,
    pub max_stale_s: u32,
}

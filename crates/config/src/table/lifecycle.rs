//! A route's version, deprecation and sunset, and how unprefixed paths pick a version.

/// A route's lifecycle, compiled from routes/.
#[derive(Debug, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::lifecycle))]
pub struct Lifecycle {
    /// The version folder (`v1`); empty for routes in gateway.toml.
    pub version: &'static str,
    /// Unix seconds.
    pub deprecated_s: Option<i64>,
    /// Unix seconds.
    pub sunset_s: Option<i64>,
    /// `sunset` as an IMF-fixdate, for the `Sunset` header.
    pub sunset_http: Option<&'static str>,
    /// The successor version folder, when the same route (path and method) exists there.
    pub successor: Option<&'static str>,
    /// A page describing the deprecation policy.
    pub policy_link: Option<&'static str>,
}

impl Lifecycle {
    /// A route with no version and no dates.
    pub const NONE: Lifecycle = Lifecycle {
        version: "",
        deprecated_s: None,
        sunset_s: None,
        sunset_http: None,
        successor: None,
        policy_link: None,
    };
}

/// `[gateway] versioning`: how a path without a version prefix picks one.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::lifecycle))]
pub struct Versioning {
    /// Request header naming the version (lower-case), e.g. `api-version`.
    pub header: Option<&'static str>,
    /// Query parameter naming the version.
    pub query: Option<&'static str>,
    /// The version when the request names none.
    pub default: Option<&'static str>,
}

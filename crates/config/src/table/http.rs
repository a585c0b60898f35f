//! HTTP pieces of the table: request methods, URL templates and request limits.

/// HTTP methods a route can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::http))]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
}

impl Method {
    /// The method named `name` exactly (methods are case-sensitive); `None` for any other
    /// (`TRACE`, `get`): no route can serve it.
    pub fn from_name(name: &str) -> Option<Method> {
        Some(match name {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => return None,
        })
    }

    /// Its name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
        }
    }
}

/// A piece of an upstream URL: literal text or a `${VAR}` resolved from the worker's env.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::http))]
pub enum UrlPart {
    Lit(&'static str),
    Var(&'static str),
}

/// Request limits; `None`/empty: no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::http))]
pub struct Limits {
    /// Request body bytes (413).
    pub max_body: Option<u64>,
    /// Request header fields (431).
    pub max_headers: Option<u32>,
    /// Accepted request media types for requests with a body (415); `type/*` allowed.
    pub content_types: &'static [&'static str],
}

impl Limits {
    pub const NONE: Limits = Limits {
        max_body: None,
        max_headers: None,
        content_types: &[],
    };
}

//! Request methods.

pub use gatehouse_config::table::http::Method;

/// A request method's name on the wire.
pub trait MethodExt {
    /// Parses a request method; `None` for methods no route can serve (e.g. `TRACE`).
    fn parse(s: &str) -> Option<Method>;

    fn as_str(&self) -> &'static str;
}

impl MethodExt for Method {
    fn parse(s: &str) -> Option<Method> {
        Some(match s {
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

    fn as_str(&self) -> &'static str {
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

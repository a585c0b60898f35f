//! Request methods.

pub use gatehouse_config::table::http::Method;

/// Parses a request method; `None` for methods no route can serve (e.g. `TRACE`).
pub fn parse(s: &str) -> Option<Method> {
    Method::from_name(s)
}

pub fn as_str(method: &Method) -> &'static str {
    method.name()
}

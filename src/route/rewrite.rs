//! The path sent upstream: the route's rewrite template filled with path parameters, or the
//! normalised public path when the route has no rewrite.

use matchit::Params;

pub use gatehouse_config::table::route::RewritePart;

/// Builds the upstream path from a route's `rewrite` template (`None`: the path as matched), the *normalised* request path and its parameters (never the
/// raw path, so what was matched is what is sent). Parameter values are already normalised:
/// they cannot contain `..` segments or encoded slashes.
pub fn upstream_path(rewrite: Option<&[RewritePart]>, normalised: &str, params: &Params) -> String {
    let Some(parts) = rewrite else {
        return normalised.to_string();
    };
    let mut out = String::with_capacity(normalised.len() + 16);
    for part in parts {
        match part {
            RewritePart::Lit(l) => out.push_str(l),
            RewritePart::Param(name) => out.push_str(params.get(name).unwrap_or("")),
        }
    }
    out
}

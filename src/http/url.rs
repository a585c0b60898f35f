//! Splits the absolute URL the runtime gives the worker (`https://host:port/path?query`).

/// The parts of a request URL the gateway uses. The path is still percent-encoded.
#[derive(Debug, PartialEq, Eq)]
pub struct RequestUrl<'a> {
    /// `http` or `https`.
    pub scheme: &'a str,
    /// Host with port, as in the URL.
    pub host: &'a str,
    pub path: &'a str,
    /// Without the `?`; `None` when the URL has no `?`.
    pub query: Option<&'a str>,
}

impl<'a> RequestUrl<'a> {
    pub fn split(url: &'a str) -> RequestUrl<'a> {
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
        let rest = rest.split('#').next().unwrap_or("");
        let path_start = rest.find(['/', '?']).unwrap_or(rest.len());
        let (host, path_query) = rest.split_at(path_start);
        let (path, query) = match path_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_query, None),
        };
        RequestUrl {
            scheme,
            host,
            path: if path.is_empty() { "/" } else { path },
            query,
        }
    }
}

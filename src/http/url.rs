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

/// Percent-decoding with `+` as space; invalid escapes and invalid UTF-8 are kept as given.
pub fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (
                    b.get(i + 1).copied().and_then(hex),
                    b.get(i + 2).copied().and_then(hex),
                ) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

pub use gatehouse_config::table::http::UrlPart;

/// Joins a URL template's parts, looking each `${VAR}` up with `lookup`. `Err` names the
/// first var that is not set.
pub fn join_url(
    parts: &'static [UrlPart],
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, &'static str> {
    let mut url = String::new();
    for part in parts {
        match part {
            UrlPart::Lit(l) => url.push_str(l),
            UrlPart::Var(name) => match lookup(name) {
                Some(v) => url.push_str(v.trim()),
                None => return Err(name),
            },
        }
    }
    Ok(url)
}

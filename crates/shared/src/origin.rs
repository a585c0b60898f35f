//! Upstream base URLs: `http(s)://host[:port][/base-path]`. Pure; used by `build.rs` to check
//! literal URLs and by the runtime to check URLs assembled from `${VAR}`s.

/// A checked upstream base URL, split so a request path can be appended without re-parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `http://host:port` (scheme and authority, no trailing slash).
    pub authority: String,
    /// Base path without a trailing slash; empty for none.
    pub base_path: String,
}

impl Origin {
    /// Parses a base URL. Rejects other schemes, user-info, queries, fragments, empty hosts,
    /// bad ports and characters that have no place in a URL.
    #[inline]
    pub fn parse(url: &str) -> Result<Origin, String> {
        let rest = if let Some(r) = url.strip_prefix("https://") {
            r
        } else if let Some(r) = url.strip_prefix("http://") {
            r
        } else {
            return Err(format!(
                "upstream URL `{url}` must start with http:// or https://"
            ));
        };
        if url.bytes().any(|b| b <= b' ' || b >= 0x7f || b == b'\\') {
            return Err(format!(
                "upstream URL `{url}` contains whitespace, a backslash or a non-ASCII character"
            ));
        }
        if url.contains('?') || url.contains('#') {
            return Err(format!(
                "upstream URL `{url}` must not have a query or fragment"
            ));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(format!("upstream URL `{url}` must not contain user info"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (h, Some(p)),
            _ => (authority, None),
        };
        let host_ok = if let Some(v6) = host.strip_prefix('[') {
            v6.ends_with(']') && v6.len() > 2
        } else {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        };
        if !host_ok {
            return Err(format!("upstream URL `{url}` has an invalid host"));
        }
        if let Some(p) = port {
            if p.parse::<u16>().map_or(true, |n| n == 0) {
                return Err(format!("upstream URL `{url}` has an invalid port"));
            }
        }
        let scheme_len = url.len() - rest.len();
        Ok(Origin {
            authority: format!("{}{}", &url[..scheme_len], authority),
            base_path: path.trim_end_matches('/').to_string(),
        })
    }
}

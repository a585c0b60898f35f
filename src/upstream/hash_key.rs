//! The request key `balance = "hash"` hashes. A request without one (the header, cookie or
//! claim is absent, or a cookie is set twice) is balanced by round robin instead.

use super::settings::HashOn;
use crate::auth::Identity;
use crate::http::params::cookie;

/// The key for `on`: a request header, a cookie, a claim of the authenticated identity
/// (strings as they are, other JSON values as JSON), the consumer (`policy:subject`) or the
/// client IP.
pub fn hash_key(
    on: HashOn,
    header: impl Fn(&str) -> Option<String>,
    identity: Option<&Identity>,
    client_ip: Option<&str>,
) -> Option<String> {
    match on {
        HashOn::Header(name) => header(name),
        HashOn::Cookie(name) => {
            let jar = header("cookie");
            cookie(jar.as_deref(), name)
                .ok()
                .flatten()
                .map(str::to_string)
        }
        HashOn::Claim(name) => identity?.claims.get(name).map(|v| match v.as_str() {
            Some(s) => s.to_string(),
            None => v.to_string(),
        }),
        HashOn::Consumer => identity.map(|i| format!("{}:{}", i.policy, i.subject)),
        HashOn::Ip => client_ip.map(str::to_string),
    }
}

//! Which admin call a request makes and whether it may: pure decisions over the `ADMIN_TOKEN`
//! secret, the `Authorization` header, the method and the path after [`super::PREFIX`]. The
//! adapter ([`super`], wasm) reads those from the request and makes the call.

use crate::error::GatewayError;

/// One admin call, as routed (see the table in [`super`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call<'a> {
    /// `GET openapi.json`.
    OpenApi,
    /// `POST purge`.
    Purge,
    /// `POST keys`.
    CreateKey,
    /// `GET keys`.
    ListKeys,
    /// `DELETE keys/<hash or prefix>`.
    RevokeKey(&'a str),
    /// `GET limits/<policy>`.
    ReadLimit(&'a str),
    /// `DELETE limits/<policy>`.
    ResetLimit(&'a str),
    /// `GET upstreams`.
    Upstreams,
}

impl Call<'_> {
    /// What the call's audit line names as its `action`.
    pub fn action(self) -> &'static str {
        match self {
            Call::OpenApi => "openapi",
            Call::Purge => "purge",
            Call::CreateKey => "keys.create",
            Call::ListKeys => "keys.list",
            Call::RevokeKey(_) => "keys.revoke",
            Call::ReadLimit(_) => "limits.read",
            Call::ResetLimit(_) => "limits.reset",
            Call::Upstreams => "upstreams",
        }
    }

    /// The status of a call that succeeds: 201 for a created key, else 200.
    pub fn status(self) -> u16 {
        match self {
            Call::CreateKey => 201,
            _ => 200,
        }
    }
}

/// Whether a request may use the admin API. Contract: with no `ADMIN_TOKEN` (absent or
/// empty) the API does not exist: [`GatewayError::RouteNotFound`], whatever the request
/// sends. Otherwise only `authorization` = `Bearer <token>` (the scheme in any case, the
/// token trimmed, compared in constant time) passes; anything else is
/// [`GatewayError::AdminUnauthorized`].
pub fn authorise(token: Option<&str>, authorization: Option<&str>) -> Result<(), GatewayError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(GatewayError::RouteNotFound);
    };
    let bearer = authorization
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    if bearer.is_some_and(|t| same(t.as_bytes(), token.as_bytes())) {
        Ok(())
    } else {
        Err(GatewayError::AdminUnauthorized)
    }
}

/// The call `method` makes on `rest` (the path after [`super::PREFIX`]). Contract: a path the
/// API has, with another method, is [`GatewayError::MethodNotAllowed`] listing the methods it
/// serves; any other path is [`GatewayError::RouteNotFound`].
pub fn route<'a>(method: &str, rest: &'a str) -> Result<Call<'a>, GatewayError> {
    let only = |allow: &str| {
        Err(GatewayError::MethodNotAllowed {
            allow: allow.into(),
        })
    };
    let segments: Vec<&'a str> = rest.split('/').collect();
    match (segments.as_slice(), method) {
        (["openapi.json"], "GET") => Ok(Call::OpenApi),
        (["openapi.json"], _) => only("GET"),
        (["purge"], "POST") => Ok(Call::Purge),
        (["purge"], _) => only("POST"),
        (["keys"], "POST") => Ok(Call::CreateKey),
        (["keys"], "GET") => Ok(Call::ListKeys),
        (["keys"], _) => only("GET, POST"),
        (["keys", hash], "DELETE") => Ok(Call::RevokeKey(hash)),
        (["keys", _], _) => only("DELETE"),
        (["limits", policy], "GET") => Ok(Call::ReadLimit(policy)),
        (["limits", policy], "DELETE") => Ok(Call::ResetLimit(policy)),
        (["limits", _], _) => only("GET, DELETE"),
        (["upstreams"], "GET") => Ok(Call::Upstreams),
        (["upstreams"], _) => only("GET"),
        _ => Err(GatewayError::RouteNotFound),
    }
}

/// Whether an admin answer gets an audit line: every one but a refusal with 404 (an admin API
/// that does not exist, or a path it does not have), so probing for it leaves no audit trail
/// that could flood the log.
pub fn audited(status: u16, refused: bool) -> bool {
    !(refused && status == 404)
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Every value of query parameter `name`, percent-decoded (`+` as a space).
pub fn query_values(query: Option<&str>, name: &str) -> Vec<String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter_map(|p| p.split_once('=').or(Some((p, ""))))
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| crate::http::url::form_decode(v))
        .collect()
}

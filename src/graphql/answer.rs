//! A gateway refusal on a GraphQL route, written as GraphQL clients read one (GraphQL over
//! HTTP): `{"errors": [{"message", "extensions": {"code"}}]}`, as
//! `application/graphql-response+json` when the client accepts it, else `application/json`.
//!
//! Contract: the `graphql` policy's own refusals of a document (it does not parse, is
//! invalid, or is over a limit) are 400 with `application/graphql-response+json` and 200
//! with `application/json`, as the spec says; a bad request is 400 either way. Every other
//! refusal on the route (401, 429, 413, 502...) keeps its HTTP status and headers, with its
//! problem slug as the code in capitals (`rate-limited`: `RATE_LIMITED`): see [`other`].

use super::Refusal;

/// The GraphQL response media type.
pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// A refusal, ready to send.
#[derive(Debug, PartialEq)]
pub struct Written {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

/// Writes the `graphql` policy's refusal `r` for a client that sent `accept`.
pub fn refusal(accept: Option<&str>, r: &Refusal) -> Written {
    let content_type = media_type(accept);
    let status = if r.document && content_type != GRAPHQL_RESPONSE {
        200
    } else {
        r.status
    };
    write(status, content_type, r.code, &r.message)
}

/// Writes any other refusal: its HTTP status, its problem `slug` as the code, its detail as
/// the message.
pub fn other(accept: Option<&str>, status: u16, slug: &str, detail: &str) -> Written {
    let code = slug.replace('-', "_").to_ascii_uppercase();
    write(status, media_type(accept), &code, detail)
}

fn media_type(accept: Option<&str>) -> &'static str {
    if accept.is_some_and(|a| a.contains(GRAPHQL_RESPONSE)) {
        GRAPHQL_RESPONSE
    } else {
        "application/json"
    }
}

fn write(status: u16, content_type: &'static str, code: &str, message: &str) -> Written {
    let body =
        serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    Written {
        status,
        content_type,
        body: body.to_string(),
    }
}

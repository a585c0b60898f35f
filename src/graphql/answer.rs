//! A gateway refusal on a GraphQL route, written as GraphQL clients read one (GraphQL over
//! HTTP): `{"errors": [{"message", "extensions": {"code"}}]}`, as
//! `application/graphql-response+json` when the client accepts it, else `application/json`.
//!
//! Contract: the `graphql` policy's own refusals of a document (it does not parse, is
//! invalid, or is over a limit) are 400 with `application/graphql-response+json` and 200
//! with `application/json`, as the spec says; a bad request is 400 either way. Every other
//! refusal on the route (401, 429, 413, 502...) keeps its HTTP status and headers, with its
//! problem slug as the code in capitals (`rate-limited`: `RATE_LIMITED`).

use crate::error::GatewayError;

/// The GraphQL response media type.
pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// A refusal, ready to send.
#[derive(Debug, PartialEq)]
pub struct Written {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

/// Writes `error` for a client that sent `accept`.
pub fn refusal(accept: Option<&str>, error: &GatewayError) -> Written {
    let content_type = if accept.is_some_and(|a| a.contains(GRAPHQL_RESPONSE)) {
        GRAPHQL_RESPONSE
    } else {
        "application/json"
    };
    let (status, code, message) = match error {
        GatewayError::GraphqlRefused(r) => {
            let status = if r.document && content_type != GRAPHQL_RESPONSE {
                200
            } else {
                r.status
            };
            (status, r.code.to_string(), r.message.clone())
        }
        other => (
            other.status(),
            other.slug().replace('-', "_").to_ascii_uppercase(),
            other.detail(),
        ),
    };
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    Written {
        status,
        content_type,
        body: body.to_string(),
    }
}

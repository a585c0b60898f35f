//! GraphQL at the edge, pure logic (the `graphql` policy's rules; its phases are in
//! `policy/graphql.rs`): reading a GraphQL-over-HTTP request ([`request`]), measuring its
//! operation ([`analyze`]) against the policy ([`guard`]), and writing a refusal the way
//! GraphQL clients read one ([`answer`]); and a route's stored operation, run for REST
//! clients ([`call`]; its step is `policy/graphql_call.rs`).

pub mod analyze;
pub mod answer;
pub mod call;
pub mod guard;
pub mod request;

/// Why the gateway refuses a GraphQL request: its `extensions.code`, a message, and whether
/// it concerns the document (parse, validation, limits), which GraphQL over HTTP answers
/// with 200 to a client that accepts only `application/json`, or the request itself (400).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    pub document: bool,
    /// The HTTP status otherwise (400, 405 for a mutation over GET, 415).
    pub status: u16,
}

impl Refusal {
    /// The request is not a GraphQL-over-HTTP request (bad JSON, bad parameters).
    pub fn bad_request(message: impl Into<String>) -> Refusal {
        Refusal::new("BAD_REQUEST", message, false, 400)
    }

    /// The document does not parse.
    pub fn parse(message: impl Into<String>) -> Refusal {
        Refusal::new("GRAPHQL_PARSE_FAILED", message, true, 400)
    }

    /// The document parses but cannot run (no such operation, a fragment cycle).
    pub fn invalid(message: impl Into<String>) -> Refusal {
        Refusal::new("GRAPHQL_VALIDATION_FAILED", message, true, 400)
    }

    /// The operation is over one of the policy's limits.
    pub fn limit(message: impl Into<String>) -> Refusal {
        Refusal::new("OPERATION_LIMIT_EXCEEDED", message, true, 400)
    }

    /// The operation asks for the schema and the policy does not allow it.
    pub fn introspection() -> Refusal {
        Refusal::new(
            "INTROSPECTION_DISABLED",
            "introspection (__schema, __type) is not allowed here",
            true,
            400,
        )
    }

    /// The operation is not on the allowlist.
    pub fn not_allowed() -> Refusal {
        Refusal::new(
            "OPERATION_NOT_ALLOWED",
            "only the operations on this endpoint's allowlist may run",
            true,
            400,
        )
    }

    /// A persisted-query hash the gateway does not know: the client sends the query again
    /// with its text (automatic persisted queries).
    pub fn persisted_not_found() -> Refusal {
        Refusal::new(
            "PERSISTED_QUERY_NOT_FOUND",
            "PersistedQueryNotFound",
            true,
            400,
        )
    }

    fn new(code: &'static str, message: impl Into<String>, document: bool, status: u16) -> Refusal {
        Refusal {
            code,
            message: message.into(),
            document,
            status,
        }
    }
}

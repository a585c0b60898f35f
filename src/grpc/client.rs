//! gRPC-Web, gRPC and Connect clients calling through the gateway: how to recognise them, and
//! how a gateway refusal (a missing credential, a limit, an unknown route) is written so their
//! generated clients understand it, instead of problem+json.

use super::status;

/// The protocol a client speaks, from its request headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `application/grpc-web`, `application/grpc-web+proto`, `application/grpc-web-text`, ...
    GrpcWeb,
    /// `application/grpc`, `application/grpc+proto`, ...
    Grpc,
    /// A Connect unary call: `Connect-Protocol-Version` with `application/proto` or
    /// `application/json`.
    ConnectUnary,
    /// A Connect streaming call: `application/connect+proto`, `application/connect+json`.
    ConnectStream,
}

/// The protocol of a request with this `Content-Type` and `Connect-Protocol-Version`, if it is
/// a gRPC or Connect one.
pub fn detect(content_type: Option<&str>, connect_version: Option<&str>) -> Option<Protocol> {
    let ct = content_type?.trim().to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    if essence.starts_with("application/grpc-web") {
        Some(Protocol::GrpcWeb)
    } else if essence == "application/grpc" || essence.starts_with("application/grpc+") {
        Some(Protocol::Grpc)
    } else if essence.starts_with("application/connect+") {
        Some(Protocol::ConnectStream)
    } else if connect_version.is_some_and(|v| v.trim() == "1")
        && matches!(essence, "application/proto" | "application/json")
    {
        Some(Protocol::ConnectUnary)
    } else {
        None
    }
}

/// The gRPC code for a gateway refusal with HTTP status `http` (the reverse of
/// [`status::http_status`], choosing the code a client acts on: 401 UNAUTHENTICATED, 403
/// PERMISSION_DENIED, 429 and 413 RESOURCE_EXHAUSTED, 404 and 405 UNIMPLEMENTED, 503 and 502
/// UNAVAILABLE, 504 DEADLINE_EXCEEDED, other 4xx INVALID_ARGUMENT, other 5xx INTERNAL).
pub fn code_for(http: u16) -> u32 {
    match http {
        401 => 16,
        403 => 7,
        404 | 405 | 410 | 501 => 12,
        408 | 504 => 4,
        409 => 10,
        413 | 429 | 431 => 8,
        499 => 1,
        502 | 503 => 14,
        400..=499 => 3,
        _ => 13,
    }
}

/// A refusal written for `protocol`: the HTTP status, the content type, extra headers and the
/// body (empty for gRPC and gRPC-Web: their status travels in `grpc-status`, a trailers-only
/// answer; for a Connect stream, its end-of-stream message: a `0x02` flag, a 4-byte
/// big-endian length and the error JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// How `protocol` is told that the call failed with `code` and `message`; `content_type` is
/// the request's (a gRPC-Web answer mirrors it).
pub fn refusal(protocol: Protocol, content_type: &str, code: u32, message: &str) -> Refusal {
    match protocol {
        Protocol::GrpcWeb | Protocol::Grpc => Refusal {
            status: 200,
            content_type: content_type.trim().to_string(),
            headers: vec![
                ("grpc-status", code.to_string()),
                ("grpc-message", encode_message(message)),
            ],
            body: Vec::new(),
        },
        Protocol::ConnectUnary => Refusal {
            status: status::http_status(code),
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: error_json(code, message).into_bytes(),
        },
        Protocol::ConnectStream => {
            let end = serde_json::json!({ "error": {
                "code": status::connect_name(code), "message": message } })
            .to_string();
            let mut body = vec![0x02];
            body.extend_from_slice(&(end.len() as u32).to_be_bytes());
            body.extend_from_slice(end.as_bytes());
            Refusal {
                status: 200,
                content_type: content_type.trim().to_string(),
                headers: Vec::new(),
                body,
            }
        }
    }
}

/// Connect's error JSON.
fn error_json(code: u32, message: &str) -> String {
    serde_json::json!({ "code": status::connect_name(code), "message": message }).to_string()
}

/// A `grpc-message` value: percent-encoded outside printable ASCII, and `%` itself.
pub fn encode_message(m: &str) -> String {
    let mut out = String::with_capacity(m.len());
    for b in m.bytes() {
        if (0x20..0x7f).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

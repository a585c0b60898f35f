//! Errors in OpenAI's shape: a client's bad request, and a provider's error answer.

use serde_json::{json, Value};

use crate::Wire;

/// A client's error: the request cannot be served as sent.
///
/// `status` is the HTTP status to answer (400 for a malformed or unsupported request);
/// `param` names the offending request field (OpenAI's `param`), `code` is OpenAI's `code`
/// slug (`invalid_json`, `missing_required_parameter`, `invalid_type`, `invalid_value`,
/// `unsupported_parameter`, `unsupported_value`). [`ClientError::to_json`] writes the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    /// HTTP status to answer with.
    pub status: u16,
    /// A sentence that says what is wrong and, where it helps, what is accepted.
    pub message: String,
    /// The top-level request field at fault, when one is.
    pub param: Option<&'static str>,
    /// OpenAI-style error code slug.
    pub code: &'static str,
}

impl ClientError {
    pub(crate) fn new(
        param: Option<&'static str>,
        code: &'static str,
        message: impl Into<String>,
    ) -> ClientError {
        ClientError {
            status: 400,
            message: message.into(),
            param,
            code,
        }
    }

    /// OpenAI's `type` for this error: `invalid_request_error` (every client error is one).
    pub fn error_type(&self) -> &'static str {
        "invalid_request_error"
    }

    /// OpenAI's error body: `{"error":{"message","type","param","code"}}`.
    pub fn to_json(&self) -> String {
        json!({"error": {
            "message": self.message,
            "type": self.error_type(),
            "param": self.param,
            "code": self.code,
        }})
        .to_string()
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ClientError {}

/// The most of a provider's non-JSON error text kept in a message, in bytes.
const MAX_TEXT_MESSAGE: usize = 1000;

/// A provider's error answer (any status, any body - JSON or not) -> OpenAI's error JSON
/// `{"error":{"message","type","param","code"}}`.
///
/// The provider's message is kept when it has one: OpenAI's `error.message` (with its `type`,
/// `param` and `code`), Anthropic's `{"type":"error","error":{"type","message"}}` (its error type
/// becomes `code`), Workers AI's `{"errors":[{"message"}]}` or `{"error":"..."}`; a body that is
/// not JSON is used as the message (trimmed, cut at 1000 bytes). `type` follows the status when
/// the provider gives none: 400/413/422 `invalid_request_error`, 401 `authentication_error`,
/// 403 `permission_error`, 404 `not_found_error`, 429 `rate_limit_error`, else `server_error`.
pub fn error_answer(wire: Wire, status: u16, body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let mut message: Option<String> = None;
    let mut error_type: Option<String> = None;
    let mut param = Value::Null;
    let mut code = Value::Null;
    if let Some(value) = &parsed {
        match wire {
            Wire::OpenAi => {
                if let Some(error) = value.get("error") {
                    if let Some(text) = error.as_str() {
                        message = Some(text.to_owned());
                    }
                    message = message.or_else(|| str_at(error, "message"));
                    error_type = str_at(error, "type");
                    param = error.get("param").cloned().unwrap_or(Value::Null);
                    code = error.get("code").cloned().unwrap_or(Value::Null);
                }
            }
            Wire::Anthropic => {
                if let Some(error) = value.get("error") {
                    message = str_at(error, "message");
                    if let Some(kind) = str_at(error, "type") {
                        error_type = Some(anthropic_type(&kind).to_owned());
                        code = Value::String(kind);
                    }
                }
            }
            Wire::WorkersAi => {
                if let Some(first) = value.get("errors").and_then(|e| e.get(0)) {
                    message = str_at(first, "message");
                    code = first.get("code").cloned().unwrap_or(Value::Null);
                } else if let Some(error) = value.get("error") {
                    message = error
                        .as_str()
                        .map(str::to_owned)
                        .or_else(|| str_at(error, "message"));
                }
            }
        }
        if message.is_none() {
            message = str_at(value, "message");
        }
    } else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        if !text.is_empty() {
            message = Some(cut(text, MAX_TEXT_MESSAGE).to_owned());
        }
    }
    let message = message.unwrap_or_else(|| {
        format!(
            "the {} provider answered HTTP {status} without a message",
            wire.name()
        )
    });
    let error_type = error_type.unwrap_or_else(|| status_type(status).to_owned());
    json!({"error": {"message": message, "type": error_type, "param": param, "code": code}})
        .to_string()
}

/// The OpenAI error body the gateway itself writes (e.g. a stream cut short).
pub(crate) fn gateway_error(message: &str, error_type: &str, code: &str) -> Value {
    json!({"error": {"message": message, "type": error_type, "param": null, "code": code}})
}

/// OpenAI's `type` for an HTTP status.
fn status_type(status: u16) -> &'static str {
    match status {
        400 | 413 | 422 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        _ => "server_error",
    }
}

/// OpenAI's `type` for an Anthropic error type.
pub(crate) fn anthropic_type(kind: &str) -> &'static str {
    match kind {
        "invalid_request_error" | "request_too_large" => "invalid_request_error",
        "authentication_error" => "authentication_error",
        "permission_error" => "permission_error",
        "not_found_error" => "not_found_error",
        "rate_limit_error" => "rate_limit_error",
        _ => "server_error",
    }
}

fn str_at(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// `text` cut to at most `max` bytes at a char boundary.
pub(crate) fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A request body as a JSON object: 400 `invalid_json` when it is not JSON, `invalid_type`
/// when it is JSON but not an object.
pub(crate) fn json_object(
    body: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, ClientError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ClientError::new(
            None,
            "invalid_json",
            format!("the request body is not valid JSON: {e}"),
        )
    })?;
    match value {
        serde_json::Value::Object(body) => Ok(body),
        _ => Err(ClientError::new(
            None,
            "invalid_type",
            "the request body must be a JSON object",
        )),
    }
}

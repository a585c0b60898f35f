//! A streamed chat answer relayed to the client in OpenAI's SSE shape as it arrives.

use serde_json::{json, Value};

use crate::error::gateway_error;
use crate::sse::{Parser, Piece};
use crate::{anthropic, workers_ai, Usage, Wire};

/// The most bytes of one incomplete line, or of one event's lines, a [`Relay`] holds (1 MiB).
/// Past it the stream ends with an error event.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A streamed answer, translated as it arrives.
///
/// [`Relay::push`] takes the provider body's bytes in any pieces (split mid-line, mid-UTF-8,
/// CRLF or LF, `:` comments, `event:` lines, multi-line `data:`) and returns the bytes to send
/// the client now: OpenAI SSE, `data: {chat.completion.chunk}\n\n` ... `data: [DONE]\n\n`.
/// Every complete event is translated at once; only an incomplete line is held. The output
/// does not depend on how the input was split.
///
/// - [`Wire::OpenAi`]: passed through byte for byte, except the usage-only chunk
///   (`choices: []` with a `usage` object), dropped when the client did not ask for it.
/// - [`Wire::Anthropic`]: `message_start` -> a first chunk with `delta: {role: "assistant",
///   content: ""}`; text block starts and `text_delta`s -> `delta.content` (empty text sends
///   nothing); a `tool_use` block start -> `delta.tool_calls[{index, id, type: "function",
///   function: {name, arguments: ""}}]` (`index` counts tool calls, not blocks);
///   `input_json_delta` -> `tool_calls[{index, function: {arguments}}]`; `message_delta`'s
///   `stop_reason` -> a chunk with `finish_reason` and an empty delta; `message_stop` -> the
///   usage chunk (`choices: []`, only when asked) and `data: [DONE]`; `ping`, thinking and
///   unknown events send nothing; an `error` event -> `data: {"error":{...}}` and the end.
/// - [`Wire::WorkersAi`]: `data: {"response": "..."}` events -> a role chunk, then content
///   chunks; `tool_calls` -> tool-call chunks (ids `<id>-call-<n>` when the model gives none);
///   `usage` is read; `data: [DONE]` -> a finish chunk (`tool_calls` when tools were called,
///   else `stop`), the usage chunk when asked, and `data: [DONE]`. An event already in
///   OpenAI's chunk shape (`choices`) is passed on with `model` set.
///
/// When the client asked (`include_usage`), every translated chunk carries `"usage": null`
/// and the usage chunk comes last, as OpenAI sends them.
#[derive(Debug)]
pub struct Relay {
    wire: Wire,
    parser: Parser,
    emit: Emitter,
    /// Whether the last block passed through (an OpenAI CRLF's late LF follows its block).
    last_emitted: bool,
}

impl Relay {
    /// A relay for a `wire` stream. Translated chunks carry `id`, `created` and `model`.
    /// `include_usage`: the client asked for the usage chunk (otherwise a usage-only chunk the
    /// gateway asked an OpenAI provider for is not sent on, and none is synthesised for the
    /// other wires).
    pub fn new(wire: Wire, model: &str, id: &str, created: u64, include_usage: bool) -> Relay {
        Relay {
            wire,
            parser: Parser::new(MAX_LINE_BYTES),
            emit: Emitter::new(model, id, created, include_usage),
            last_emitted: false,
        }
    }

    /// Takes the next bytes of the provider's body; returns the bytes to send the client now
    /// (possibly none). After the answer's end or an error, further bytes are ignored.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        // After the end only the first byte can matter: the LF of a CRLF whose CR closed the
        // last block passed through.
        let bytes = if self.emit.ended {
            &bytes[..bytes.len().min(1)]
        } else {
            bytes
        };
        let mut pieces = Vec::new();
        self.parser.push(bytes, &mut pieces);
        self.handle(pieces);
        std::mem::take(&mut self.emit.out)
    }

    /// The provider's body ended: returns what is left to send. An unterminated last event is
    /// translated; if the answer was not complete (no `[DONE]` / `message_stop`) and no error
    /// was sent, an error event `data: {"error":{..., "code": "stream_cut"}}` is sent.
    pub fn finish(&mut self) -> Vec<u8> {
        if !self.emit.ended {
            let mut pieces = Vec::new();
            self.parser.finish(&mut pieces);
            self.handle(pieces);
        }
        if !self.emit.ended {
            let message = "the provider's stream ended before the answer was complete";
            self.emit.error(
                message,
                gateway_error(message, "server_error", "stream_cut"),
            );
        }
        std::mem::take(&mut self.emit.out)
    }

    /// Tokens used, as read so far: OpenAI's usage chunk; Anthropic's `message_start`
    /// input tokens (cache tokens included) and `message_delta` output tokens; Workers AI's
    /// `usage` field when present.
    pub fn usage(&self) -> Usage {
        self.emit.usage
    }

    /// Whether a chunk carrying content or a tool-call delta has been returned yet. Check it
    /// after each [`Relay::push`]: the push where it turns true sent the first token (time to
    /// first token). Role-only and empty chunks do not count.
    pub fn first_token_seen(&self) -> bool {
        self.emit.first_token
    }

    /// The answer's `finish_reason` (OpenAI's vocabulary) once one was seen.
    pub fn finish_reason(&self) -> Option<&str> {
        self.emit.finish_reason.as_deref()
    }

    /// The message of the error that ended the stream: the provider's error event, or the
    /// gateway's (stream cut short, line over [`MAX_LINE_BYTES`], an event that is not JSON).
    pub fn errored(&self) -> Option<&str> {
        self.emit.errored.as_deref()
    }

    /// Whether the answer completed (`[DONE]` was sent).
    pub fn is_complete(&self) -> bool {
        self.emit.done
    }

    fn handle(&mut self, pieces: Vec<Piece>) {
        for piece in pieces {
            if piece == Piece::TrailingLf {
                if self.wire == Wire::OpenAi && self.last_emitted {
                    self.emit.out.push(b'\n');
                }
                continue;
            }
            if self.emit.ended {
                continue;
            }
            match piece {
                Piece::TrailingLf => {}
                Piece::Overflow => {
                    let message = "a line of the provider's stream passed 1 MiB";
                    self.emit.error(
                        message,
                        gateway_error(message, "server_error", "stream_line_too_long"),
                    );
                }
                Piece::Quiet { raw } => {
                    self.last_emitted = self.wire == Wire::OpenAi;
                    if self.last_emitted {
                        self.emit.out.extend_from_slice(&raw);
                    }
                }
                Piece::Event { event, data, raw } => match self.wire {
                    Wire::OpenAi => {
                        self.last_emitted = openai_event(&mut self.emit, &event, &data, &raw)
                    }
                    Wire::Anthropic | Wire::WorkersAi => {
                        self.last_emitted = false;
                        if self.wire == Wire::WorkersAi && data.trim() == "[DONE]" {
                            workers_ai::stream_done(&mut self.emit);
                            continue;
                        }
                        let Ok(mut value) = serde_json::from_str::<Value>(&data) else {
                            let message = "the provider sent a stream event that is not JSON";
                            self.emit.error(
                                message,
                                gateway_error(message, "server_error", "bad_provider_event"),
                            );
                            continue;
                        };
                        if self.wire == Wire::Anthropic {
                            if value.get("type").is_none() && value.is_object() {
                                value["type"] = Value::String(event);
                            }
                            anthropic::stream_event(&value, &mut self.emit);
                        } else {
                            workers_ai::stream_event(value, &mut self.emit);
                        }
                    }
                },
            }
        }
    }
}

/// Handles one OpenAI event: reads it, and passes its raw bytes on unless it is a usage-only
/// chunk the client did not ask for. Returns whether it was passed on.
fn openai_event(emit: &mut Emitter, event: &str, data: &str, raw: &[u8]) -> bool {
    if data.trim() == "[DONE]" {
        emit.done = true;
        emit.ended = true;
        emit.out.extend_from_slice(raw);
        return true;
    }
    let Ok(value) = serde_json::from_str::<Value>(data) else {
        emit.out.extend_from_slice(raw);
        return true;
    };
    if value.get("error").is_some() || event == "error" {
        let message = value["error"]["message"]
            .as_str()
            .or(value["message"].as_str())
            .unwrap_or("the provider's stream failed");
        emit.errored = Some(message.to_owned());
        emit.ended = true;
        emit.out.extend_from_slice(raw);
        return true;
    }
    if let Some(usage) = value.get("usage").and_then(Usage::from_openai) {
        emit.usage = usage;
    }
    let choices = value.get("choices").and_then(Value::as_array);
    for choice in choices.into_iter().flatten() {
        if let Some(reason) = choice["finish_reason"].as_str() {
            emit.finish_reason = Some(reason.to_owned());
        }
        if carries_token(&choice["delta"]) {
            emit.first_token = true;
        }
    }
    let usage_only =
        choices.is_some_and(Vec::is_empty) && value.get("usage").is_some_and(Value::is_object);
    if usage_only && !emit.include_usage {
        return false;
    }
    emit.out.extend_from_slice(raw);
    true
}

/// Whether an OpenAI chunk delta carries content, a refusal or a tool-call delta.
pub(crate) fn carries_token(delta: &Value) -> bool {
    delta["content"].as_str().is_some_and(|c| !c.is_empty())
        || delta["refusal"].as_str().is_some_and(|c| !c.is_empty())
        || delta["tool_calls"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
}

/// Writes OpenAI chunks for the translating wires, and keeps what the stream told so far.
#[derive(Debug)]
pub(crate) struct Emitter {
    id: String,
    model: String,
    created: u64,
    pub(crate) include_usage: bool,
    pub(crate) out: Vec<u8>,
    pub(crate) usage: Usage,
    pub(crate) finish_reason: Option<String>,
    pub(crate) errored: Option<String>,
    pub(crate) first_token: bool,
    pub(crate) done: bool,
    pub(crate) ended: bool,
    pub(crate) role_sent: bool,
    pub(crate) usage_sent: bool,
    /// The provider's block index of each tool call, by tool-call index.
    tools: Vec<Option<u64>>,
}

impl Emitter {
    fn new(model: &str, id: &str, created: u64, include_usage: bool) -> Emitter {
        Emitter {
            id: id.to_owned(),
            model: model.to_owned(),
            created,
            include_usage,
            out: Vec::new(),
            usage: Usage::default(),
            finish_reason: None,
            errored: None,
            first_token: false,
            done: false,
            ended: false,
            role_sent: false,
            usage_sent: false,
            tools: Vec::new(),
        }
    }

    /// The id given to the relay.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// The model the chunks name.
    pub(crate) fn model(&self) -> &str {
        &self.model
    }

    /// Writes `data: <value>\n\n`.
    pub(crate) fn event(&mut self, value: &Value) {
        self.out.extend_from_slice(b"data: ");
        self.out.extend_from_slice(value.to_string().as_bytes());
        self.out.extend_from_slice(b"\n\n");
    }

    fn chunk(&self, choices: Value) -> Value {
        let mut chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        });
        if self.include_usage {
            chunk["usage"] = Value::Null;
        }
        chunk
    }

    /// A chunk with one choice: `delta` and `finish_reason`.
    pub(crate) fn delta(&mut self, delta: Value, finish: Option<&str>) {
        if delta.get("role").is_some() {
            self.role_sent = true;
        }
        let chunk = self.chunk(
            json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]),
        );
        self.event(&chunk);
    }

    /// The role chunk, unless one was sent.
    pub(crate) fn ensure_role(&mut self) {
        if !self.role_sent {
            self.delta(json!({"role": "assistant", "content": ""}), None);
        }
    }

    /// A content chunk (the caller skips empty text).
    pub(crate) fn content(&mut self, text: &str) {
        self.first_token = true;
        self.delta(json!({"content": text}), None);
    }

    /// Numbers a new tool call started at provider block `block`; returns its index.
    pub(crate) fn new_tool(&mut self, block: Option<u64>) -> usize {
        self.tools.push(block);
        self.tools.len() - 1
    }

    /// The tool-call index of provider block `block`.
    pub(crate) fn tool_index(&self, block: Option<u64>) -> Option<usize> {
        block.and_then(|b| self.tools.iter().position(|t| *t == Some(b)))
    }

    /// How many tool calls were started.
    pub(crate) fn tool_count(&self) -> usize {
        self.tools.len()
    }

    /// A chunk with one tool-call delta.
    pub(crate) fn tool_delta(&mut self, call: Value) {
        self.first_token = true;
        self.delta(json!({"tool_calls": [call]}), None);
    }

    /// The finish chunk: an empty delta with `finish_reason`.
    pub(crate) fn finish(&mut self, reason: &str) {
        self.finish_reason = Some(reason.to_owned());
        self.delta(json!({}), Some(reason));
    }

    /// The usage chunk (when asked and not yet sent), then `data: [DONE]`; the answer is complete.
    pub(crate) fn done(&mut self) {
        if self.include_usage && !self.usage_sent {
            self.usage_sent = true;
            let mut chunk = self.chunk(json!([]));
            chunk["usage"] = self.usage.to_openai();
            self.event(&chunk);
        }
        self.out.extend_from_slice(b"data: [DONE]\n\n");
        self.done = true;
        self.ended = true;
    }

    /// An error event `data: <body>` that ends the stream.
    pub(crate) fn error(&mut self, message: &str, body: Value) {
        self.errored = Some(message.to_owned());
        self.event(&body);
        self.ended = true;
    }
}

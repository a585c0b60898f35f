//! A server-streaming method's answer, translated as it arrives: the gRPC-Web or Connect
//! frames of the upstream's body in, newline-delimited JSON or server-sent events out.
//!
//! Contract: [`Stream::push`] takes the body's bytes in whatever pieces they come and returns
//! the text to send for every frame they complete, so nothing waits for the whole answer (at
//! most one frame, up to [`MAX_FRAME`] bytes, is held). Each message is one line (NDJSON) or
//! one `data:` event (SSE). The stream ends with the method's status: nothing more when it is
//! OK, else a last `{"error":{"code","status","message"}}` line (SSE: `event: error`). A cut,
//! compressed or oversized frame, a message that does not decode, or a body that ends without
//! a status ends the stream with an error too; after the end every byte is ignored.

use super::status;
use super::to_json::decode;
use gatehouse_config::table::proto::{Protocol, Protos};
use serde_json::{json, Value};

/// The largest frame held while it arrives (gRPC's default message limit).
pub const MAX_FRAME: usize = 4 * 1024 * 1024;

/// How the messages are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/x-ndjson`: one JSON value per line.
    Ndjson,
    /// `text/event-stream`: one `data:` event per message.
    Sse,
}

impl Format {
    /// Server-sent events when the client accepts `text/event-stream`, else NDJSON.
    pub fn for_accept(accept: Option<&str>) -> Format {
        if accept.is_some_and(|a| a.contains("text/event-stream")) {
            Format::Sse
        } else {
            Format::Ndjson
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Ndjson => "application/x-ndjson",
            Format::Sse => "text/event-stream",
        }
    }
}

/// One answer being translated.
pub struct Stream<'p> {
    protos: &'p Protos,
    output: u16,
    /// The output field sent instead of each whole message (`response_body`).
    field: Option<&'p str>,
    protocol: Protocol,
    format: Format,
    buffer: Vec<u8>,
    ended: bool,
}

impl<'p> Stream<'p> {
    pub fn new(protos: &'p Protos, output: u16, protocol: Protocol, format: Format) -> Self {
        Stream {
            protos,
            output,
            field: None,
            protocol,
            format,
            buffer: Vec::new(),
            ended: false,
        }
    }

    /// Sends each message's field `field` instead of the whole message (`response_body`).
    pub fn only(mut self, field: Option<&'p str>) -> Self {
        self.field = field;
        self
    }

    /// A stream whose status already came, OK, in the answer's headers (trailers-only): it
    /// ends clean, whatever follows.
    pub fn ended_ok(mut self) -> Self {
        self.ended = true;
        self
    }

    /// The text for the frames `bytes` complete.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        let mut out = String::new();
        if self.ended {
            return out;
        }
        self.buffer.extend_from_slice(bytes);
        let mut at = 0;
        while !self.ended && self.buffer.len() - at >= 5 {
            let head = &self.buffer[at..at + 5];
            let flag = head[0];
            let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
            if len > MAX_FRAME || flag & 0x01 != 0 {
                self.end_with(
                    &mut out,
                    13,
                    "the stream sent a compressed or oversized frame",
                );
                break;
            }
            if self.buffer.len() - at - 5 < len {
                break;
            }
            let payload = self.buffer[at + 5..at + 5 + len].to_vec();
            at += 5 + len;
            self.frame(flag, &payload, &mut out);
        }
        self.buffer.drain(..at.min(self.buffer.len()));
        out
    }

    /// The text when the body has ended: an error if no status came.
    pub fn finish(&mut self) -> String {
        let mut out = String::new();
        if !self.ended {
            self.end_with(&mut out, 13, "the stream ended without a status");
        }
        out
    }

    fn frame(&mut self, flag: u8, payload: &[u8], out: &mut String) {
        let end = match self.protocol {
            Protocol::GrpcWeb => flag & 0x80 != 0,
            Protocol::Connect => flag & 0x02 != 0,
        };
        if !end {
            match decode(self.protos, self.output, payload) {
                Ok(v) => {
                    let v = match self.field {
                        Some(f) => v.get(f).cloned().unwrap_or(Value::Null),
                        None => v,
                    };
                    self.write(out, None, &v)
                }
                Err(_) => {
                    self.end_with(out, 13, "a message does not match the method's output type")
                }
            }
            return;
        }
        let (code, message) = match self.protocol {
            Protocol::GrpcWeb => grpc_web_status(payload),
            Protocol::Connect => connect_status(payload),
        };
        if code == 0 {
            self.ended = true;
            self.buffer = Vec::new();
        } else {
            self.end_with(out, code, &message);
        }
    }

    fn end_with(&mut self, out: &mut String, code: u32, message: &str) {
        self.ended = true;
        self.buffer = Vec::new();
        let error =
            json!({ "error": { "code": code, "status": status::name(code), "message": message } });
        self.write(out, Some("error"), &error);
    }

    fn write(&self, out: &mut String, event: Option<&str>, v: &Value) {
        match self.format {
            Format::Ndjson => {
                out.push_str(&v.to_string());
                out.push('\n');
            }
            Format::Sse => {
                if let Some(e) = event {
                    out.push_str("event: ");
                    out.push_str(e);
                    out.push('\n');
                }
                out.push_str("data: ");
                out.push_str(&v.to_string());
                out.push_str("\n\n");
            }
        }
    }
}

/// The status in a gRPC-Web trailers frame (`grpc-status`, `grpc-message`).
fn grpc_web_status(block: &[u8]) -> (u32, String) {
    let text = String::from_utf8_lossy(block);
    let mut code = None;
    let mut message = String::new();
    for line in text.split('\n').map(|l| l.trim_end_matches('\r')) {
        if let Some((n, v)) = line.split_once(':') {
            match n.trim().to_ascii_lowercase().as_str() {
                "grpc-status" => code = Some(status::parse_code(v.trim())),
                "grpc-message" => message = status::decode_message(v.trim()),
                _ => {}
            }
        }
    }
    (code.unwrap_or(2), message)
}

/// The status in a Connect end-of-stream message (`{"error": {"code", "message"}}`, or no
/// error: OK).
fn connect_status(payload: &[u8]) -> (u32, String) {
    let Ok(end) = serde_json::from_slice::<Value>(payload) else {
        return (13, "the end of the stream is not JSON".into());
    };
    match end.get("error") {
        None | Some(Value::Null) => (0, String::new()),
        Some(e) => {
            let code = e["code"]
                .as_str()
                .and_then(status::from_connect)
                .filter(|c| *c != 0)
                .unwrap_or(2);
            (code, e["message"].as_str().unwrap_or("").to_string())
        }
    }
}

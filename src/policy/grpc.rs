//! A route's `grpc` call in the worker (wasm only): the step [`super::Step::Grpc`] after the
//! route's policies. Its `on_request` makes the request message from JSON - the body's object
//! (POST, PUT, PATCH), then each query parameter and path parameter bound to the field it
//! names ([`crate::grpc::bind`]) - and turns the upstream request into the method's call: a
//! POST to `/<package.Service>/<Method>` with the message as gRPC-Web or Connect, and the
//! upstream's `timeout` as the deadline. Its `after_upstream` turns the answer back into JSON,
//! or a gRPC status other than OK into a problem with the status's HTTP code.
//!
//! Contract: a body that is not a JSON object, a member or parameter that is not a field, or a
//! value of the wrong type is 400 `invalid-body` naming the member; an upstream answer that is
//! not a gRPC answer is 502 `grpc-invalid-answer`; a failed call is `grpc-status` with the
//! code's HTTP status. The client's body reaches the method only through the message, and no
//! client header says how to read it (content and transfer encodings are removed); other
//! headers pass as metadata, as on any route. The gateway's own query parameters (credentials,
//! the version) are never bound.

use crate::error::GatewayError;
use crate::exchange::{OutgoingBody, WorkerExchange};
use crate::grpc::bind::bind;
use crate::grpc::details;
use crate::grpc::frame;
use crate::grpc::status;
use crate::grpc::to_json::decode;
use crate::grpc::to_proto::{encode, JsonError};
use crate::runtime;
use crate::runtime::answer::Answer;
use crate::runtime::io;
use gatehouse_config::table::proto::{BodyRule, GrpcCall, Protocol, Protos};
use serde_json::{Map, Value};
use wasm_bindgen::JsValue;
use web_sys::Headers;

/// Client headers that could say how to read the gateway's message.
const REQUEST_ENCODINGS: &[&str] = &[
    "content-length",
    "content-type",
    "content-encoding",
    "accept",
    "accept-encoding",
    "grpc-encoding",
    "grpc-accept-encoding",
    "connect-content-encoding",
    "connect-accept-encoding",
    "te",
];

/// The answer's headers that describe the gRPC framing, not the JSON the client gets.
const ANSWER_FRAMING: &[&str] = &[
    "content-length",
    "content-encoding",
    "grpc-status",
    "grpc-message",
    "grpc-encoding",
    "grpc-accept-encoding",
    "connect-content-encoding",
    "connect-accept-encoding",
];

/// The longest trailer value sent on as a header.
const MAX_TRAILER: usize = 8 * 1024;

/// The largest answer read (gRPC's default message limit).
const MAX_ANSWER: u32 = 4 * 1024 * 1024;

fn invalid(e: JsonError) -> GatewayError {
    let at = if e.path.is_empty() {
        "the message".to_string()
    } else {
        e.path
    };
    GatewayError::InvalidBody {
        detail: format!("{at} {}", e.reason),
    }
}

/// A failed call's problem: its code, with the message and details `field` finds (from
/// gRPC-Web's trailers, or the answer's headers).
fn status_error(
    code: u32,
    protos: &Protos,
    field: impl Fn(&str) -> Option<String>,
) -> GatewayError {
    GatewayError::GrpcStatus {
        code,
        message: field("grpc-message")
            .map(|m| status::decode_message(&m))
            .unwrap_or_default(),
        details: field("grpc-status-details-bin")
            .map(|d| details::from_status_bin(protos, &d))
            .unwrap_or_default(),
    }
}

/// Makes the method's request message and the call in place of the proxied request.
pub async fn on_request(
    x: &mut WorkerExchange<'_>,
    call: &'static GrpcCall,
    protos: &'static Protos,
) -> Result<(), GatewayError> {
    let Some(route) = x.route else {
        return Ok(());
    };
    let with_body = matches!(x.ctx.method.as_str(), "POST" | "PUT" | "PATCH");
    let mut message = match call.body {
        BodyRule::Whole if with_body => x.body_object(route.limits.max_body).await?,
        BodyRule::Field(field) if with_body => {
            let mut m = Map::new();
            if let Some(value) = x.body_json(route.limits.max_body).await? {
                m.insert(field.to_string(), value);
            }
            m
        }
        _ => Map::new(),
    };
    let inputs = x.call_inputs()?;
    for (k, v) in &inputs.query {
        if call.gateway_query.contains(&k.as_str()) {
            continue; // the gateway's own (a credential, the version): never the method's
        }
        bind(protos, call.input, &mut message, k, v).map_err(invalid)?;
    }
    for (k, v) in &inputs.path {
        bind(protos, call.input, &mut message, k, v).map_err(invalid)?;
    }
    let bytes = encode(protos, call.input, &Value::Object(message)).map_err(invalid)?;
    x.prepare_upstream_headers()?;
    let timeout_ms = x.tables.upstreams[usize::from(route.upstream)].timeout_ms;
    if let Some(h) = x.outgoing.headers() {
        // The body is the gateway's message: no client header may say how to read it.
        // The body is the gateway's message: no client header may say how to read it.
        runtime::delete_names(h, REQUEST_ENCODINGS);
        match call.protocol {
            Protocol::GrpcWeb => {
                let _ = h.set("content-type", "application/grpc-web+proto");
                let _ = h.set("x-grpc-web", "1");
                let _ = h.set("grpc-timeout", &status::timeout(u64::from(timeout_ms)));
            }
            Protocol::Connect => {
                let streaming = call.server_streaming;
                let ct = if streaming {
                    "application/connect+proto"
                } else {
                    "application/proto"
                };
                let _ = h.set("content-type", ct);
                let _ = h.set("connect-protocol-version", "1");
                let _ = h.set("connect-timeout-ms", &timeout_ms.to_string());
            }
        }
    }
    // gRPC-Web always frames the message; Connect frames it on streaming calls only.
    let body = match call.protocol {
        Protocol::Connect if !call.server_streaming => bytes,
        _ => frame::frame(&bytes),
    };
    x.outgoing.path = call.path.to_string();
    if call.connect_get && matches!(x.ctx.method.as_str(), "GET" | "HEAD") {
        // A method without side effects, asked for with GET: a Connect GET, the message in the
        // query (base64url), no body.
        if let Some(h) = x.outgoing.headers() {
            runtime::delete_names(h, &["content-type", "connect-protocol-version"]);
        }
        let message = <base64ct::Base64UrlUnpadded as base64ct::Encoding>::encode_string(&body);
        x.outgoing.query = Some(format!(
            "connect=v1&encoding=proto&base64=1&message={message}"
        ));
        x.outgoing.method = Some("GET");
        return Ok(());
    }
    x.outgoing.query = Some(String::new());
    x.outgoing.method = Some("POST");
    x.outgoing.body = OutgoingBody::Bytes(js_sys::Uint8Array::from(body.as_slice()));
    Ok(())
}

/// The method's answer as JSON, or its failure as a problem. A static fallback's answer is
/// the route's own JSON already: it passes as it is.
pub async fn after_upstream(
    x: &WorkerExchange<'_>,
    call: &'static GrpcCall,
    protos: &'static Protos,
    result: Result<Answer, GatewayError>,
) -> Result<Answer, GatewayError> {
    let answer = result?;
    let Some(resp) = x.origin_answer(&answer) else {
        return Ok(answer);
    };
    let bad = |detail: String| GatewayError::GrpcInvalidAnswer { detail };
    let http = resp.status();
    let origin_headers = resp.headers();
    if call.server_streaming && http == 200 {
        return streamed(x, call, protos, resp, &origin_headers);
    }
    let bytes = io::answer_bytes(resp, MAX_ANSWER).await.map_err(bad)?;
    // Trailing metadata the route sends on (gRPC-Web: the trailers frame; Connect unary:
    // `trailer-` headers).
    let mut trailing: Vec<(&str, String)> = Vec::new();
    let message = match call.protocol {
        Protocol::GrpcWeb => {
            if http != 200 {
                return Err(bad(format!("HTTP status {http}")));
            }
            let framed =
                frame::parse(&bytes).map_err(|_| bad("its frames are cut or compressed".into()))?;
            let header = |n: &str| origin_headers.get(n).ok().flatten();
            let code = framed
                .trailer("grpc-status")
                .map(str::to_string)
                .or_else(|| header("grpc-status"))
                .ok_or_else(|| bad("it has no grpc-status".into()))?;
            let code = status::parse_code(&code);
            if code != 0 {
                let trailer = |n: &str| framed.trailer(n).map(str::to_string).or_else(|| header(n));
                return Err(status_error(code, protos, trailer));
            }
            for name in call.trailers {
                if let Some(v) = framed.trailer(name) {
                    trailing.push((name, v.to_string()));
                }
            }
            framed
                .messages
                .first()
                .map(|m| m.to_vec())
                .unwrap_or_default()
        }
        Protocol::Connect if http == 200 => bytes,
        Protocol::Connect => {
            let error: Value = serde_json::from_slice(&bytes)
                .map_err(|_| bad(format!("HTTP status {http} without a Connect error")))?;
            let code = error["code"]
                .as_str()
                .and_then(status::from_connect)
                .filter(|c| *c != 0) // an error that says "ok" failed all the same
                .unwrap_or(2);
            let message = error["message"].as_str().unwrap_or("").to_string();
            let details = details::from_connect(protos, &error["details"]);
            return Err(GatewayError::GrpcStatus {
                code,
                message,
                details,
            });
        }
    };
    let json = decode(protos, call.output, &message)
        .map_err(|_| bad("its message does not match the method's output type".into()))?;
    let json = match call.response_body {
        Some(field) => json.get(field).cloned().unwrap_or(Value::Null),
        None => json,
    };
    let headers =
        Headers::new_with_headers(&origin_headers).map_err(|_| GatewayError::Internal {
            what: "copy the answer's headers",
        })?;
    runtime::delete_names(&headers, ANSWER_FRAMING);
    for name in call.trailers {
        if let Some(v) = origin_headers
            .get(&format!("trailer-{name}"))
            .ok()
            .flatten()
        {
            trailing.push((name, v));
        }
    }
    if call.protocol == Protocol::Connect {
        runtime::delete_prefixed(&headers, "trailer-");
    }
    for (name, value) in trailing.into_iter().filter(|(_, v)| v.len() <= MAX_TRAILER) {
        let _ = headers.set(name, &value);
    }
    let _ = headers.set("content-type", "application/json");
    let body = JsValue::from(js_sys::Uint8Array::from(json.to_string().as_bytes()));
    Ok(Answer::own(runtime::respond(200, &headers, &body), true))
}

/// A server-streaming method's answer, translated frame by frame as it arrives
/// ([`crate::grpc::stream`]): NDJSON, or server-sent events for a client that accepts them.
/// A status the upstream put in its headers (a gRPC-Web trailers-only answer) is a problem
/// before anything is streamed.
fn streamed(
    x: &WorkerExchange<'_>,
    call: &'static GrpcCall,
    protos: &'static Protos,
    resp: &web_sys::Response,
    origin_headers: &Headers,
) -> Result<Answer, GatewayError> {
    use crate::grpc::stream::{Format, Stream};
    let header = |n: &str| origin_headers.get(n).ok().flatten();
    let header_status = header("grpc-status").map(|c| status::parse_code(&c));
    if let Some(code) = header_status {
        if code != 0 {
            return Err(status_error(code, protos, header));
        }
    }
    let format = Format::for_accept(x.header("accept").as_deref());
    let mut stream =
        Stream::new(protos, call.output, call.protocol, format).only(call.response_body);
    if header_status == Some(0) {
        // Trailers-only and OK: an empty stream.
        stream = stream.ended_ok();
    }
    let feed = wasm_bindgen::closure::Closure::<dyn FnMut(JsValue) -> String>::new(
        move |chunk: JsValue| {
            if chunk.is_null() {
                stream.finish()
            } else {
                stream.push(&js_sys::Uint8Array::new(&chunk).to_vec())
            }
        },
    )
    .into_js_value();
    let body = match resp.body() {
        Some(b) => JsValue::from(runtime::transform_body(&b, &feed)),
        None if header_status == Some(0) => JsValue::NULL,
        None => {
            JsValue::from_str(&Stream::new(protos, call.output, call.protocol, format).finish())
        }
    };
    let headers = Headers::new().map_err(|_| GatewayError::Internal {
        what: "make the stream's headers",
    })?;
    let _ = headers.set("content-type", format.content_type());
    let _ = headers.set("cache-control", "no-store");
    Ok(Answer::own(runtime::respond(200, &headers, &body), true))
}

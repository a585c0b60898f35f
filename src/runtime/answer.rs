//! [`Answer`]: a response on its way to the client (wasm only). Its headers are a mutable
//! copy that the `on_response` phase and the outbound step edit; the runtime `Response` is
//! made once, at the end ([`Answer::into_response`]), so no answer is re-wrapped twice.

use crate::runtime;
use web_sys::{Headers, ReadableStream, Response};

/// A response being prepared for the client.
pub struct Answer {
    pub status: u16,
    /// Editable until the answer leaves.
    pub headers: Headers,
    body: Body,
}

enum Body {
    /// The body, status text and status of this response (origin or cache), with `headers`.
    Of(Response),
    /// A stream (or none) with `status` and `headers`.
    Stream(Option<ReadableStream>),
    /// Text made by the gateway (problems, admin answers); `None` for HEAD.
    Text(Option<String>),
    /// Sent exactly as it is: a WebSocket handshake (101) carries its socket and cannot be
    /// re-wrapped, so its headers are not edited.
    Sealed(Response),
}

impl Answer {
    /// An origin or cache response, with a copy of its headers to edit.
    pub fn of(response: Response) -> Answer {
        let headers = Headers::new_with_headers(&response.headers())
            .unwrap_or_else(|_| Headers::new().expect("Headers constructor"));
        Answer {
            status: response.status(),
            headers,
            body: Body::Of(response),
        }
    }

    /// `status` and `headers` with a body stream (or none).
    pub fn stream(status: u16, headers: Headers, body: Option<ReadableStream>) -> Answer {
        Answer {
            status,
            headers,
            body: Body::Stream(body),
        }
    }

    /// A gateway-made answer with a text body (`None`: no body).
    pub fn text(status: u16, headers: Headers, body: Option<String>) -> Answer {
        Answer {
            status,
            headers,
            body: Body::Text(body),
        }
    }

    /// A response passed on untouched (WebSocket handshakes).
    pub fn sealed(response: Response) -> Answer {
        Answer {
            status: response.status(),
            headers: Headers::new().expect("Headers constructor"),
            body: Body::Sealed(response),
        }
    }

    /// Whether the headers are final (a sealed answer ignores edits).
    pub fn is_sealed(&self) -> bool {
        matches!(self.body, Body::Sealed(_))
    }

    /// Whether the gateway made this answer itself (a problem, an admin answer) rather than
    /// passing on an origin or cached response.
    pub fn is_gateway_made(&self) -> bool {
        matches!(self.body, Body::Text(_))
    }

    /// Whether this is an origin's response passed on (its headers still need hop-by-hop
    /// stripping; a cached entry was stripped before it was stored).
    pub fn is_from_origin(&self) -> bool {
        matches!(self.body, Body::Of(_))
    }

    /// The origin or cache response this answer was made from, if any.
    pub fn source(&self) -> Option<&Response> {
        match &self.body {
            Body::Of(r) | Body::Sealed(r) => Some(r),
            _ => None,
        }
    }

    /// The runtime response, made once.
    pub fn into_response(self) -> Response {
        match self.body {
            Body::Sealed(r) => r,
            Body::Of(r) => runtime::rewrap(&r, &self.headers),
            Body::Stream(s) => {
                let body = s.map_or(wasm_bindgen::JsValue::NULL, Into::into);
                runtime::respond(self.status, &self.headers, &body)
            }
            Body::Text(t) => {
                let body = t.map_or(wasm_bindgen::JsValue::NULL, |t| t.into());
                runtime::respond(self.status, &self.headers, &body)
            }
        }
    }
}

//! [`Answer`]: a response on its way to the client (wasm only). Its headers are mutable and
//! are what the `on_response` phase and the outbound step edit. An origin's or a stored
//! response is wrapped once, when the answer is made (its headers copied once, inside the
//! runtime); a gateway-made answer becomes a `Response` at the end
//! ([`Answer::into_response`]). No answer is copied or re-wrapped twice.

use crate::runtime;
use web_sys::{Headers, Response};

/// A response being prepared for the client.
pub struct Answer {
    pub status: u16,
    /// Editable until the answer leaves.
    pub headers: Headers,
    body: Body,
}

enum Body {
    /// A response the gateway built around an origin's or a stored body; `headers` are its
    /// own (mutable) headers, so it leaves as it is.
    Own {
        response: Response,
        from_origin: bool,
    },
    /// Text made by the gateway (problems, admin answers); `None` for HEAD.
    Text(Option<String>),
    /// Sent exactly as it is: a WebSocket handshake (101) carries its socket and cannot be
    /// re-wrapped, so its headers are not edited.
    Sealed(Response),
}

impl Answer {
    /// An origin's response: wrapped once (status, status text, body and a copy of its
    /// headers, which the gateway may then edit).
    pub fn of(origin: Response) -> Answer {
        Answer::own(runtime::editable(&origin), true)
    }

    /// A response the gateway built (so its headers are mutable), from a stored entry
    /// (`from_origin = false`) or an origin's response.
    pub fn own(response: Response, from_origin: bool) -> Answer {
        Answer {
            status: response.status(),
            headers: response.headers(),
            body: Body::Own {
                response,
                from_origin,
            },
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
        matches!(
            self.body,
            Body::Own {
                from_origin: true,
                ..
            }
        )
    }

    /// The body of an answer the gateway wrote as text, if it is one.
    pub fn text_body(&self) -> Option<&str> {
        match &self.body {
            Body::Text(t) => t.as_deref(),
            _ => None,
        }
    }

    /// The origin or cache response this answer is, if any.
    pub fn source(&self) -> Option<&Response> {
        match &self.body {
            Body::Own { response, .. } | Body::Sealed(response) => Some(response),
            Body::Text(_) => None,
        }
    }

    /// The runtime response (made here only for gateway-made answers).
    pub fn into_response(self) -> Response {
        match self.body {
            Body::Sealed(r) | Body::Own { response: r, .. } => r,
            Body::Text(t) => {
                let body = t.map_or(wasm_bindgen::JsValue::NULL, |t| t.into());
                runtime::respond(self.status, &self.headers, &body)
            }
        }
    }
}

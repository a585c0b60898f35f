//! [`Outgoing`]: the request on its way upstream, the one owner of what is sent: the path, the
//! query, the headers (made on first use) and the body. Steps change it through the exchange
//! (`x.outgoing`); the exchange sends it.

use js_sys::Uint8Array;
use wasm_bindgen::JsValue;
use web_sys::Headers;

/// The request body on its way upstream.
pub enum OutgoingBody {
    /// The client's, not read yet: streamed, or buffered when the request may be sent again.
    Client,
    /// Read (and maybe edited) by a step: these bytes are sent, and may be sent again.
    Bytes(Uint8Array),
    /// The client's, streaming through a counter against the route's `max_body`; `state.over`
    /// says whether it went over.
    Counted { state: JsValue },
}

/// What is sent upstream.
pub struct Outgoing {
    /// The path (the route's rewrite applied).
    pub path: String,
    /// Replaces the client's query when set (a cache's canonical query, a transform's edits).
    pub query: Option<String>,
    /// Replaces the client's method when set (a gRPC call is a POST).
    pub method: Option<&'static str>,
    /// The path and query after the chosen target's base URL, once the upstream is prepared.
    pub path_and_query: String,
    /// The client's headers, cleaned, with the gateway's set: made on first use
    /// (`WorkerExchange::prepare_upstream_headers`), so an answer from a step (a cache hit, a
    /// preflight, a refusal before any edit) never pays for them.
    headers: Option<Headers>,
    pub body: OutgoingBody,
}

impl Outgoing {
    /// Nothing decided yet: no headers, the client's query and body.
    pub fn new() -> Outgoing {
        Outgoing {
            path: String::new(),
            query: None,
            method: None,
            path_and_query: String::new(),
            headers: None,
            body: OutgoingBody::Client,
        }
    }

    /// The headers, once prepared.
    pub fn headers(&self) -> Option<&Headers> {
        self.headers.as_ref()
    }

    /// The headers, once prepared, to edit.
    pub fn headers_mut(&mut self) -> Option<&mut Headers> {
        self.headers.as_mut()
    }

    pub(super) fn set_headers(&mut self, headers: Headers) {
        self.headers = Some(headers);
    }

    /// The body a step read, if one did.
    pub fn body_bytes(&self) -> Option<&Uint8Array> {
        match &self.body {
            OutgoingBody::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// Whether a body counted while it streamed went over the route's `max_body`.
    pub fn went_over(&self) -> bool {
        match &self.body {
            OutgoingBody::Counted { state } => {
                js_sys::Reflect::get(state, &"over".into()).is_ok_and(|v| v.is_truthy())
            }
            _ => false,
        }
    }
}

impl Default for Outgoing {
    fn default() -> Outgoing {
        Outgoing::new()
    }
}

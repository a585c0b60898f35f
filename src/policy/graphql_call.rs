//! A route's stored GraphQL operation in the worker (wasm only): the step
//! [`super::Step::GraphqlCall`] after the route's policies. Its `on_request` makes the
//! operation's variables from the REST request ([`crate::graphql::call`]) and turns the
//! upstream request into a GraphQL-over-HTTP POST of the stored document; its
//! `after_upstream` answers the operation's `data` as JSON, or its `errors` as a problem.
//!
//! Contract: a parameter or body member that is not a variable, a value of the wrong type, or
//! a required variable left out is 400 `invalid-body` naming it; an answer with `errors` is
//! `graphql-errors` (the status of the first error's code, 502 when none maps) carrying them;
//! an answer that is not a GraphQL response is 502 `graphql-invalid-answer`. The client's
//! body and query reach the origin only as variables, and no client header says how to read
//! the gateway's body. A static fallback's answer passes as it is.

use crate::error::GatewayError;
use crate::exchange::{OutgoingBody, WorkerExchange};
use crate::graphql::call::{read_answer, request_body, variables, Inputs, Outcome};
use crate::policy::transform::phases::REPRESENTATION_SELECTORS;
use crate::runtime;
use crate::runtime::answer::Answer;
use crate::runtime::io;
use gatehouse_config::table::graphql::GraphqlCall;
use serde_json::Value;
use wasm_bindgen::JsValue;
use web_sys::Headers;

/// The largest answer read.
const MAX_ANSWER: u32 = 4 * 1024 * 1024;

fn invalid(detail: String) -> GatewayError {
    GatewayError::InvalidBody { detail }
}

/// Makes the operation's variables and the POST that runs it in place of the proxied request.
pub async fn on_request(
    x: &mut WorkerExchange<'_>,
    call: &'static GraphqlCall,
) -> Result<(), GatewayError> {
    let Some(route) = x.route else {
        return Ok(());
    };
    let body = match x.ctx.method.as_str() {
        "POST" | "PUT" | "PATCH" => Some(x.body_object(route.limits.max_body).await?),
        _ => None,
    };
    let inputs = x.call_inputs()?;
    let identity = x.ctx.identity.as_ref();
    let claim = |name: &str| -> Option<Value> {
        let i = identity?;
        i.claim(name)
            .cloned()
            .or_else(|| (name == "sub").then(|| Value::String(i.subject.clone())))
    };
    let vars = variables(
        call,
        Inputs {
            path: &inputs.path,
            query: &inputs.query,
            body,
            claim: &claim,
        },
    )
    .map_err(invalid)?;
    x.ctx.log.operation = Some(call.operation_name.unwrap_or_default().to_string());
    let body = request_body(call, vars);
    x.prepare_upstream_headers()?;
    if let Some(h) = x.outgoing.headers() {
        // The body is the gateway's: no client header may say how to read it, nor choose a
        // range or a 304 instead of the operation's answer.
        for name in [
            "content-length",
            "content-encoding",
            "accept-encoding",
            "te",
        ]
        .iter()
        .chain(REPRESENTATION_SELECTORS)
        {
            let _ = h.delete(name);
        }
        let _ = h.set("content-type", "application/json");
        let _ = h.set(
            "accept",
            "application/graphql-response+json, application/json;q=0.9",
        );
    }
    x.outgoing.query = Some(String::new());
    x.outgoing.method = Some("POST");
    x.outgoing.body = OutgoingBody::Bytes(js_sys::Uint8Array::from(body.as_bytes()));
    Ok(())
}

/// The operation's `data` as the answer, or its `errors` as a problem.
pub async fn after_upstream(
    x: &WorkerExchange<'_>,
    result: Result<Answer, GatewayError>,
) -> Result<Answer, GatewayError> {
    let answer = result?;
    let Some(resp) = x.origin_answer(&answer) else {
        return Ok(answer);
    };
    let bad = |detail: String| GatewayError::GraphqlInvalidAnswer { detail };
    let http = resp.status();
    let origin_headers = resp.headers();
    let bytes = io::answer_bytes(resp, MAX_ANSWER).await.map_err(bad)?;
    let data = match read_answer(http, &bytes) {
        Outcome::Data(data) => data,
        Outcome::Errors { status, errors } => {
            return Err(GatewayError::GraphqlErrors { status, errors })
        }
        Outcome::Invalid(why) => return Err(bad(why)),
    };
    let headers =
        Headers::new_with_headers(&origin_headers).map_err(|_| GatewayError::Internal {
            what: "copy the answer's headers",
        })?;
    // The answer is the gateway's JSON: the origin's validators describe another body.
    for name in [
        "content-length",
        "content-encoding",
        "etag",
        "last-modified",
    ] {
        let _ = headers.delete(name);
    }
    let _ = headers.set("content-type", "application/json");
    let body = JsValue::from_str(&data.to_string());
    Ok(Answer::own(runtime::respond(200, &headers, &body), true))
}

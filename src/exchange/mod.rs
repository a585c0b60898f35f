//! [`WorkerExchange`]: one request inside the worker (wasm only), the runtime side of
//! [`crate::pipeline`]: routing, the upstream request, problems, and the outbound step every
//! answer passes. The one upstream call and its helpers are in [`upstream`].
mod outgoing;
mod upstream;

pub use outgoing::{Outgoing, OutgoingBody};

use crate::ctx::Ctx;
use crate::error::{GatewayError, PROBLEM_CONTENT_TYPE};
use crate::grpc::client;
use crate::http::forwarding::{
    prepare_downstream_response, prepare_upstream_request, server_timing, Forwarded,
};
use crate::http::limits::{self, HeaderTally, Limits, RequestFacts};
use crate::http::method;
use crate::http::params::query_param;
use crate::pipeline::{Exchange, Phases};
use crate::route::compiled::{Condition, Route};
use crate::route::lifecycle;
use crate::route::lifecycle::{Selected, Stage, Versioning};
use crate::route::{check_double_encoding, host_for_matching, normalise, upstream_path};
use crate::route::{Matched, RouteIndex};
use crate::runtime;
use crate::runtime::answer::Answer;
use crate::upstream::settings::Upstream;
use std::borrow::Cow;
use web_sys::{Headers, Request};
use worker::{Context, Env};

/// The parts of the compiled table an exchange uses: routing, upstreams and the headers only
/// authentication may set. (Policies are the steps' business, not the exchange's.)
#[derive(Clone, Copy)]
pub struct Tables {
    pub routes: &'static RouteIndex,
    pub upstreams: &'static [Upstream],
    /// Headers authentication policies set (`forward`); stripped from every upstream request.
    pub identity_headers: &'static [&'static str],
    /// Version folders of routes/ (`v1`, `v2`).
    pub versions: &'static [&'static str],
    /// How unprefixed paths pick a version.
    pub versioning: Option<&'static Versioning>,
}

/// Bodies read whole (to validate, transform or translate them) are at most this large unless
/// the route's `max_body` says.
pub const DEFAULT_MAX_BODY: u64 = 1024 * 1024;

/// One request and everything the phases share about it.
pub struct WorkerExchange<'a> {
    pub ctx: Ctx<'a>,
    pub req: &'a Request,
    /// The client's headers, as sent.
    pub inbound: Headers,
    pub env: &'a Env,
    pub worker_ctx: &'a Context,
    pub tables: Tables,
    /// Set once the request matched a route.
    pub route: Option<&'static Route>,
    /// The normalised path (what was matched).
    pub path: String,
    /// What is sent upstream: path, query, headers and body.
    pub outgoing: Outgoing,
    /// The route's path parameters, kept for the steps that read them (fan-out templates, a
    /// gRPC call's message).
    pub params: Vec<(String, String)>,
    /// A CORS preflight routed by the method it asks for (answered by the route's CORS
    /// policy, never sent upstream).
    pub preflight: bool,
    /// The canary side, once decided ([`WorkerExchange::canary_side`]): the cache keys on it
    /// before the upstream call uses it.
    pub side: Option<bool>,
    /// The route is a GraphQL endpoint (`policy::speaks_graphql`): refusals are written in
    /// GraphQL's shape.
    pub graphql: bool,
    /// The request's header fields, counted once by [`WorkerExchange::check_head`].
    head: HeaderTally,
}

impl<'a> WorkerExchange<'a> {
    /// `inbound` is `req.headers()`, already read for the context.
    pub fn new(
        ctx: Ctx<'a>,
        req: &'a Request,
        inbound: Headers,
        env: &'a Env,
        worker_ctx: &'a Context,
        tables: Tables,
    ) -> WorkerExchange<'a> {
        WorkerExchange {
            inbound,
            ctx,
            req,
            env,
            worker_ctx,
            tables,
            route: None,
            path: String::new(),
            outgoing: Outgoing::new(),
            preflight: false,
            params: Vec::new(),
            side: None,
            graphql: false,
            head: HeaderTally::Count(0),
        }
    }

    /// The gateway's own bounds on the request head, before anything reads the URL or the
    /// headers for any path (docs, admin, routes): the request target ([`limits::check_target`],
    /// 414) and the header fields in all ([`limits::MAX_HEADER_BYTES`], 431).
    pub fn check_head(&mut self) -> Result<(), GatewayError> {
        limits::check_target(self.ctx.url.path, self.ctx.url.query)?;
        self.head = HeaderTally::from_runtime(runtime::header_tally(
            &self.inbound,
            limits::MAX_HEADER_BYTES as u32,
        ));
        limits::check(&Limits::NONE, &RequestFacts::head_only(self.head))
            .map_err(GatewayError::from)
    }

    /// The client's header `name`.
    pub fn header(&self, name: &str) -> Option<String> {
        self.inbound.get(name).ok().flatten()
    }

    /// The request body as text, as it goes upstream: the bytes a step already read (and may
    /// have edited), else the client's body read whole, at most `limit` bytes (413 past it,
    /// also when its `Content-Length` says so before reading; 400 when it cannot be read or
    /// is not UTF-8). The caller checks the media type before the first read.
    pub async fn body_text(&mut self, limit: u64) -> Result<String, GatewayError> {
        let not_utf8 = || GatewayError::InvalidBody {
            detail: "it is not UTF-8".into(),
        };
        if let Some(bytes) = self.outgoing.body_bytes() {
            return String::from_utf8(bytes.to_vec()).map_err(|_| not_utf8());
        }
        let declared = self
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Err(GatewayError::PayloadTooLarge { limit });
        }
        let max = u32::try_from(limit).unwrap_or(u32::MAX);
        match runtime::io::read_bounded(self.req.as_ref(), max).await {
            Ok(text) => Ok(text),
            Err(true) => Err(GatewayError::PayloadTooLarge { limit }),
            Err(false) => Err(GatewayError::InvalidBody {
                detail: "it could not be read".into(),
            }),
        }
    }

    /// The query as it goes upstream: as a step before left it (a transform's edits, a
    /// cache's canonical query), else the client's.
    pub fn query_sent(&self) -> Option<&str> {
        self.outgoing.query.as_deref().or(self.ctx.url.query)
    }

    /// A call step's inputs, percent-decoded: the query parameters as they go upstream, and
    /// the path parameters, each refused (400 `invalid-body`, naming it) when it is not valid
    /// percent-encoding, and a path parameter also when it holds `%2F`, a `.` or `..` segment
    /// or a control character ([`crate::http::params::path_param`]).
    pub fn call_inputs(&self) -> Result<CallInputs, GatewayError> {
        let invalid = |detail: String| GatewayError::InvalidBody { detail };
        let query = crate::http::params::decoded_pairs(self.query_sent().unwrap_or("")).map_err(
            |pair| {
                invalid(format!(
                    "query parameter {pair:?} is not valid percent-encoding"
                ))
            },
        )?;
        let mut path = Vec::new();
        for (k, v) in &self.params {
            let v = crate::http::params::path_param(v).ok_or_else(|| {
                invalid(format!(
                    "path parameter {k} is not valid percent-encoding, or holds %2F, a . or .. segment, or a control character"
                ))
            })?;
            path.push((k.clone(), v));
        }
        Ok(CallInputs { query, path })
    }

    /// The origin's response in `answer`, for a step that translates it (a gRPC or GraphQL
    /// call): `None` for an answer the gateway made, or a static fallback's (the route's own
    /// JSON already), which pass as they are.
    pub fn origin_answer<'r>(&self, answer: &'r Answer) -> Option<&'r web_sys::Response> {
        if self.ctx.log.fallback == Some(crate::log::FellBack::Static) {
            return None;
        }
        answer.source()
    }

    /// The request body as JSON, read as [`Self::body_text`] reads it with the route's
    /// `max_body`: a body the client sent must be `application/json` (else 415) that no two
    /// parsers read differently (else 400 `invalid-body`). `None` when it is empty. A gRPC or
    /// GraphQL call's message, field or variables.
    pub async fn body_json(
        &mut self,
        max_body: Option<u64>,
    ) -> Result<Option<serde_json::Value>, GatewayError> {
        let unread = self.outgoing.body_bytes().is_none();
        let text = self.body_text(max_body.unwrap_or(DEFAULT_MAX_BODY)).await?;
        let content_type = self.header("content-type");
        if unread
            && !text.is_empty()
            && !crate::http::content_type::is_json(content_type.as_deref())
        {
            return Err(GatewayError::UnsupportedMediaType {
                got: content_type,
                accepted: &["application/json"],
            });
        }
        if text.trim().is_empty() {
            return Ok(None);
        }
        crate::json_text::check(&text).map_err(|a| GatewayError::InvalidBody {
            detail: a.describe(),
        })?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| GatewayError::InvalidBody {
                detail: e.to_string(),
            })
    }

    /// The request body as a JSON object (an empty body is `{}`; else as [`Self::body_json`],
    /// and 400 `invalid-body` when it is not an object).
    pub async fn body_object(
        &mut self,
        max_body: Option<u64>,
    ) -> Result<serde_json::Map<String, serde_json::Value>, GatewayError> {
        match self.body_json(max_body).await? {
            None => Ok(serde_json::Map::new()),
            Some(serde_json::Value::Object(m)) => Ok(m),
            Some(_) => Err(GatewayError::InvalidBody {
                detail: "the body must be a JSON object".into(),
            }),
        }
    }

    /// Normalises and matches the path (400, 404, 405 as errors), applies the route's
    /// lifecycle and the double-encoding rule, and works out the upstream path. A CORS
    /// preflight is matched by the method it asks for when `answers_preflight` says the route
    /// it finds answers preflights.
    pub fn route_request(
        &mut self,
        answers_preflight: impl Fn(&'static Route) -> bool,
    ) -> Result<&'static Route, GatewayError> {
        let index = self.tables.routes;
        let mut path = normalise(self.ctx.url.path).map_err(GatewayError::BadPath)?;
        let host = host_for_matching(self.ctx.url.host);
        let inbound = &self.inbound;
        let query = self.ctx.url.query;
        let holds = |c: &Condition| match *c {
            Condition::Header(name, value) => {
                inbound.get(name).ok().flatten().as_deref() == Some(value)
            }
            Condition::Query(name, value) => {
                matches!(query_param(query, name), Ok(Some(v)) if v == value)
            }
        };
        // Version selection, for paths that match nothing as they are.
        if let Some(versioning) = self.tables.versioning {
            if matches!(
                index.find_when(None, &host, &path, &holds),
                Matched::NotFound
            ) {
                let header = versioning.header.and_then(|h| self.header(h));
                let query = self.ctx.url.query;
                match lifecycle::select(
                    versioning,
                    &path,
                    header.as_deref(),
                    query,
                    self.tables.versions,
                ) {
                    Selected::AsIs => {}
                    Selected::Version(v) => path = Cow::Owned(format!("/{v}{path}")),
                    Selected::Unknown(asked) => {
                        return Err(GatewayError::UnknownVersion {
                            asked,
                            known: self.tables.versions,
                        })
                    }
                }
            }
        }
        // A CORS preflight is routed by the method it asks for, to a route that answers
        // preflights; anything else is matched by its own method.
        let asked = self.preflight_method().and_then(|m| method::parse(&m));
        if let Some(Matched::Found { route, .. }) =
            asked.map(|m| index.find_when(Some(m), &host, &path, &holds))
        {
            self.preflight = answers_preflight(route);
        }
        let method = if self.preflight {
            asked
        } else {
            method::parse(&self.ctx.method)
        };
        let (route, params) = match index.find_when(method, &host, &path, &holds) {
            Matched::Found { route, params, .. } => (route, params),
            Matched::MethodNotAllowed { allow } => {
                return Err(GatewayError::MethodNotAllowed { allow })
            }
            Matched::NotFound => return Err(GatewayError::RouteNotFound),
        };
        self.ctx.log.route = Some(route.id);
        self.lifecycle(route, &path)?;
        if !route.allow_double_encoding {
            check_double_encoding(&path).map_err(GatewayError::BadPath)?;
        }
        self.outgoing.path = upstream_path(route.rewrite, &path, &params);
        // Kept where a step reads them (fan-out templates, a gRPC call's message, a GraphQL
        // call's variables).
        if route.fan_out.is_some() || route.grpc.is_some() || route.graphql.is_some() {
            self.params = params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        }
        self.path = path.into_owned();
        self.route = Some(route);
        let upstream = &self.tables.upstreams[route.upstream as usize];
        self.ctx.log.upstream = Some(upstream.name);
        self.check_limits(route)?;

        Ok(route)
    }

    /// The route's request limits, from the request head (no other header is read on routes
    /// without limits). [`WorkerExchange::check_head`] has counted the header fields.
    fn check_limits(&self, route: &'static Route) -> Result<(), GatewayError> {
        let headers = self.head;
        if route.limits == Limits::NONE {
            return Ok(());
        }
        let (content_type, content_length) =
            (self.header("content-type"), self.header("content-length"));
        limits::check(
            &route.limits,
            &RequestFacts {
                method: &self.ctx.method,
                headers,
                content_type: content_type.as_deref(),
                content_length: content_length.as_deref(),
                chunked: content_length.is_none() && self.req.body().is_some(),
            },
        )
        .map_err(GatewayError::from)
    }

    /// Makes the upstream request headers if they are not made yet: the client's without
    /// hop-by-hop, gateway-owned and identity headers, plus forwarding, request-id and trace
    /// headers. Every phase that edits or sends them calls this first.
    pub fn prepare_upstream_headers(&mut self) -> Result<(), GatewayError> {
        if self.outgoing.headers().is_some() {
            return Ok(());
        }
        let route = self.route.ok_or(GatewayError::RouteNotFound)?;
        let mut headers =
            Headers::new_with_headers(&self.inbound).map_err(|_| GatewayError::Internal {
                what: "copy the request headers",
            })?;
        let ids = &self.ctx.ids;
        let traceparent = ids.traceparent();
        let tracestate = if ids.continued {
            self.inbound.get("tracestate").ok().flatten()
        } else {
            None
        };
        prepare_upstream_request(
            &mut headers,
            &Forwarded {
                client_ip: self.ctx.client_ip.as_deref(),
                proto: self.ctx.url.scheme,
                host: self.ctx.url.host,
                request_id: &ids.request_id,
                traceparent: &traceparent,
                tracestate: tracestate.as_deref(),
                websocket: route.websocket,
            },
        );
        // Identity headers only ever come from authentication policies.
        if !self.tables.identity_headers.is_empty() {
            runtime::delete_names(&headers, self.tables.identity_headers);
        }
        self.outgoing.set_headers(headers);
        Ok(())
    }

    /// The route's lifecycle: its version in the log; when deprecated, the `Deprecation`,
    /// `Sunset` and `Link` headers on every answer; when sunset, 410 `api-sunset`.
    fn lifecycle(&mut self, route: &'static Route, path: &str) -> Result<(), GatewayError> {
        let life = route.lifecycle;
        self.ctx.log.version = (!life.version.is_empty()).then_some(life.version);
        if life.deprecated_s.is_none() && life.sunset_s.is_none() {
            return Ok(());
        }
        let stage = lifecycle::stage(life, (runtime::calendar_now_ms(self.env) / 1000.0) as i64);
        if stage == Stage::Current {
            return Ok(());
        }
        self.ctx.log.deprecated = true;
        self.ctx
            .response_headers
            .extend(lifecycle::headers(life, path));
        if stage == Stage::Sunset {
            return Err(GatewayError::ApiSunset {
                version: life.version,
                sunset: life.sunset_http.unwrap_or(""),
                successor: lifecycle::successor_path(life, path),
            });
        }
        Ok(())
    }

    /// `Access-Control-Request-Method` of an `OPTIONS` request with an `Origin`.
    fn preflight_method(&self) -> Option<String> {
        if self.ctx.method != "OPTIONS" || self.header("origin").is_none() {
            return None;
        }
        self.header("access-control-request-method")
    }

    /// A 200 JSON answer of the gateway's own (the admin endpoint).
    pub fn json_with(&mut self, status: u16, body: String) -> Answer {
        let headers = Headers::new().expect("Headers constructor");
        let _ = headers.set("content-type", "application/json");
        let _ = headers.set("cache-control", "no-store");
        Answer::text(status, headers, Some(body))
    }
}

/// A gRPC or GraphQL call's inputs, decoded ([`WorkerExchange::call_inputs`]).
pub struct CallInputs {
    /// (name, value) in order, repeats kept.
    pub query: Vec<(String, String)>,
    pub path: Vec<(String, String)>,
}

/// A request's exchange, owned, for work that goes on after its answer was sent (a
/// stale-while-revalidate refresh): the request and what its phases decided up to the
/// upstream call (route, path, identity, canary side, the prepared upstream request).
pub struct Detached {
    url: String,
    request_id: String,
    req: Request,
    inbound: Headers,
    env: Env,
    worker_ctx: wasm_bindgen::JsValue,
    tables: Tables,
    route: Option<&'static Route>,
    path: String,
    params: Vec<(String, String)>,
    identity: Option<crate::auth::Identity>,
    side: Option<bool>,
    upstream_headers: Option<Headers>,
    path_and_query: String,
    /// A step's own method and body for the call (a gRPC call's POST and message).
    method: Option<&'static str>,
    body: Option<js_sys::Uint8Array>,
}

impl WorkerExchange<'_> {
    /// An owned copy of this GET or HEAD request, as prepared for its upstream call.
    pub fn detach(&self) -> Option<Detached> {
        let upstream_headers = match self.outgoing.headers() {
            Some(h) => Some(Headers::new_with_headers(h).ok()?),
            None => None,
        };
        let js: &wasm_bindgen::JsValue = self.worker_ctx.as_ref().as_ref();
        Some(Detached {
            url: self.req.url(),
            request_id: self.ctx.ids.request_id.clone(),
            req: self.req.clone().ok()?,
            inbound: Headers::new_with_headers(&self.inbound).ok()?,
            env: self.env.clone(),
            worker_ctx: js.clone(),
            tables: self.tables,
            route: self.route,
            path: self.path.clone(),
            params: self.params.clone(),
            identity: self.ctx.identity.clone(),
            side: self.side,
            upstream_headers,
            path_and_query: self.outgoing.path_and_query.clone(),
            method: self.outgoing.method,
            body: self.outgoing.body_bytes().map(|b| b.slice(0, b.length())),
        })
    }
}

impl Detached {
    /// Runs [`crate::pipeline::upstream_tail`] over `steps` (with their `states`) as a GET
    /// in a new exchange made from this one.
    pub async fn upstream_tail<S, T>(self, steps: &[S], mut states: Vec<T>)
    where
        S: for<'x> Phases<WorkerExchange<'x>, State = T>,
    {
        let ctx = Ctx::new(
            &self.url,
            "GET".to_string(),
            Some(&self.request_id),
            None,
            self.inbound.get("cf-connecting-ip").ok().flatten(),
            &runtime::random_40(),
            runtime::now_ms(),
        );
        let wctx = Context::new(wasm_bindgen::JsCast::unchecked_into(self.worker_ctx));
        let mut x =
            WorkerExchange::new(ctx, &self.req, self.inbound, &self.env, &wctx, self.tables);
        x.route = self.route;
        x.path = self.path;
        x.params = self.params;
        x.ctx.identity = self.identity;
        x.side = self.side;
        if let Some(headers) = self.upstream_headers {
            x.outgoing.set_headers(headers);
        }
        x.outgoing.path_and_query = self.path_and_query;
        x.outgoing.method = self.method;
        if let Some(body) = self.body {
            x.outgoing.body = OutgoingBody::Bytes(body);
        }
        let _ = crate::pipeline::upstream_tail(&mut x, steps, &mut states).await;
    }
}

impl Exchange for WorkerExchange<'_> {
    type Answer = Answer;

    fn prepare_upstream(&mut self) -> Result<(), GatewayError> {
        self.prepare_upstream_headers()?;
        if self.route.is_none() {
            return Err(GatewayError::RouteNotFound);
        }
        self.outgoing.path_and_query = path_and_query(&self.outgoing.path, self.query_sent());
        Ok(())
    }

    async fn upstream(&mut self) -> Result<Answer, GatewayError> {
        self.call_upstream().await
    }

    /// The error as problem+json; for a gRPC-Web, gRPC or Connect client, as its protocol
    /// writes a failed call ([`crate::grpc::client`]), so its generated client understands it.
    fn problem(&mut self, error: &GatewayError) -> Answer {
        self.ctx.log.error = Some(error.slug());
        let content_type = self.header("content-type");
        let connect = self.header("connect-protocol-version");
        let grpc = client::detect(content_type.as_deref(), connect.as_deref());
        let mut binary: Option<Vec<u8>> = None;
        let (status, body, headers) = match grpc {
            None if self.graphql => {
                let accept = self.header("accept");
                let accept = accept.as_deref();
                let w = match error {
                    GatewayError::GraphqlRefused(r) => crate::graphql::answer::refusal(accept, r),
                    _ => crate::graphql::answer::other(
                        accept,
                        error.status(),
                        error.slug(),
                        &error.detail(),
                    ),
                };
                let headers = Headers::new().expect("Headers constructor");
                let _ = headers.set("content-type", w.content_type);
                (w.status, w.body, headers)
            }
            Some(protocol) => {
                let code = match error {
                    GatewayError::GrpcStatus { code, .. } => *code,
                    _ => client::code_for(error.status()),
                };
                let ct = content_type.as_deref().unwrap_or_default();
                let r = client::refusal(protocol, ct, code, &error.detail());
                let headers = Headers::new().expect("Headers constructor");
                let _ = headers.set("content-type", &r.content_type);
                for (name, value) in &r.headers {
                    let _ = headers.set(name, value);
                }
                match String::from_utf8(r.body) {
                    Ok(text) => (r.status, text, headers),
                    // A Connect stream's end-of-stream message is binary.
                    Err(e) => {
                        binary = Some(e.into_bytes());
                        (r.status, String::new(), headers)
                    }
                }
            }
            None => {
                let body = error.to_problem(self.ctx.url.path, &self.ctx.ids.request_id);
                let headers = Headers::new().expect("Headers constructor");
                let _ = headers.set("content-type", PROBLEM_CONTENT_TYPE);
                (error.status(), body, headers)
            }
        };
        let _ = headers.set("cache-control", "no-store");
        // Policy headers first (a limit that passed), then the error's (the limit that refused).
        let policy_headers = std::mem::take(&mut self.ctx.response_headers);
        for (name, value) in policy_headers.into_iter().chain(error.headers()) {
            let _ = headers.append(name, &value);
        }
        if let Some(bytes) = binary.filter(|_| !self.ctx.is_head()) {
            let body = wasm_bindgen::JsValue::from(js_sys::Uint8Array::from(bytes.as_slice()));
            return Answer::own(runtime::respond(status, &headers, &body), false);
        }
        let body = (!self.ctx.is_head() && !body.is_empty()).then_some(body);
        Answer::text(status, headers, body)
    }

    fn outbound(&mut self, mut answer: Answer) -> Answer {
        if answer.is_sealed() {
            return answer;
        }
        let gateway_ms =
            runtime::now_ms() - self.ctx.started_ms - self.ctx.upstream_ms.unwrap_or(0.0);
        let request_id = &self.ctx.ids.request_id;
        if answer.is_from_origin() {
            prepare_downstream_response(
                &mut answer.headers,
                request_id,
                gateway_ms,
                self.ctx.upstream_ms.unwrap_or(0.0),
            );
        } else {
            // Gateway-made answers, and cached ones (stored without hop-by-hop headers), have
            // nothing to strip.
            let upstream_ms =
                (!answer.is_gateway_made()).then(|| self.ctx.upstream_ms.unwrap_or(0.0));
            let _ = answer.headers.set("x-request-id", request_id);
            let _ = answer
                .headers
                .set("server-timing", &server_timing(gateway_ms, upstream_ms));
        }
        // Appended: each rate_limit policy adds its own list items.
        for (name, value) in &self.ctx.response_headers {
            let _ = answer.headers.append(name, value);
        }
        answer
    }
}

fn path_and_query(path: &str, query: Option<&str>) -> String {
    let mut out = String::with_capacity(path.len() + query.map_or(0, str::len) + 1);
    out.push_str(path);
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        out.push('?');
        out.push_str(q);
    }
    out
}

//! The request flow, one direction:
//! normalise + match -> inbound policies -> upstream -> outbound policies -> access log.
//!
//! Every gateway error becomes problem+json through [`GatewayError::to_problem`]; the access
//! log line is written after the response is handed back.

use crate::auth::platform::WorkerAuth;
use crate::cache::flow::{self, CacheStep, Looked};
use crate::config::{Method, Route};
use crate::error::{GatewayError, PROBLEM_CONTENT_TYPE};
use crate::http::forwarding::{
    prepare_downstream_response, prepare_upstream_request, server_timing, Forwarded,
};
use crate::http::trace::RequestIds;
use crate::http::url::RequestUrl;
use crate::log::{iso8601, AccessLog};
use crate::platform;
use crate::policy::{Flow, Inbound};
use crate::route::{
    check_double_encoding, host_for_matching, normalise, upstream_path, Matched, RouteIndex,
};
use crate::upstream::{proxy, resolve::cached_origin};
use web_sys::{Headers, Request, Response, ResponseInit};
use worker::{Context, Env};

/// Per-request facts gathered once and shared by the steps.
struct Exchange<'a> {
    ids: RequestIds,
    url: RequestUrl<'a>,
    method: String,
    client_ip: Option<String>,
    started: f64,
}

/// Handles one request. Never fails: errors are answered as problem+json.
pub async fn handle(req: Request, env: Env, ctx: Context) -> Response {
    let started = platform::now_ms();
    platform::intern_static_strings(RouteIndex::global().table());
    let inbound = req.headers();
    let ids = RequestIds::new(
        inbound.get("x-request-id").ok().flatten().as_deref(),
        inbound.get("traceparent").ok().flatten().as_deref(),
        &platform::random_40(),
    );
    let url = req.url();
    let ex = Exchange {
        ids,
        url: RequestUrl::split(&url),
        method: req.method(),
        client_ip: inbound.get("cf-connecting-ip").ok().flatten(),
        started,
    };
    let mut log = AccessLog {
        timestamp: iso8601(started),
        request_id: ex.ids.request_id.clone(),
        trace_id: ex.ids.trace_id.clone(),
        method: ex.method.clone(),
        path: ex.url.path.to_string(),
        client_ip: ex.client_ip.clone(),
        ..AccessLog::default()
    };

    let mut extra = Vec::new();
    if ex.url.path == crate::admin::PURGE_PATH {
        log.route = Some("admin-purge");
        let response = match crate::admin::purge(&req, &env, &ex.method).await {
            Ok(json) => json_response(&json, &ex),
            Err(err) => {
                log.error = Some(err.slug());
                problem_response(&err, &ex, &[])
            }
        };
        log.status = response.status();
        log.duration_ms = platform::now_ms() - started;
        platform::log_later(&ctx, &log.to_json());
        return response;
    }
    let response =
        match route_and_proxy(&req, &inbound, &env, &ctx, &ex, &mut log, &mut extra).await {
            Ok(resp) => resp,
            Err(err) => {
                log.error = Some(err.slug());
                problem_response(&err, &ex, &extra)
            }
        };
    log.status = response.status();
    log.duration_ms = platform::now_ms() - started;
    platform::log_later(&ctx, &log.to_json());
    response
}

async fn route_and_proxy(
    req: &Request,
    inbound: &Headers,
    env: &Env,
    ctx: &Context,
    ex: &Exchange<'_>,
    log: &mut AccessLog,
    extra: &mut Vec<(&'static str, String)>,
) -> Result<Response, GatewayError> {
    let path = normalise(ex.url.path).map_err(GatewayError::BadPath)?;
    let index = RouteIndex::global();
    let host = host_for_matching(ex.url.host);
    let (route, params) = match index.find(Method::parse(&ex.method), &host, &path) {
        Matched::Found { route, params, .. } => (route, params),
        Matched::MethodNotAllowed { allow } => {
            return Err(GatewayError::MethodNotAllowed { allow })
        }
        Matched::NotFound => return Err(GatewayError::RouteNotFound),
    };
    log.route = Some(route.id);
    if !route.allow_double_encoding {
        check_double_encoding(&path).map_err(GatewayError::BadPath)?;
    }
    let table = index.table();
    let upstream = &table.upstreams[route.upstream as usize];
    log.upstream = Some(upstream.name);

    // Upstream request headers: a copy of the client's, cleaned, then gateway headers set.
    let mut headers = Headers::new_with_headers(inbound).map_err(|_| GatewayError::Internal {
        what: "copy the request headers",
    })?;
    let traceparent = ex.ids.traceparent();
    let tracestate = if ex.ids.continued {
        inbound.get("tracestate").ok().flatten()
    } else {
        None
    };
    prepare_upstream_request(
        &mut headers,
        &Forwarded {
            client_ip: ex.client_ip.as_deref(),
            proto: ex.url.scheme,
            host: ex.url.host,
            request_id: &ex.ids.request_id,
            traceparent: &traceparent,
            tracestate: tracestate.as_deref(),
            websocket: route.websocket,
        },
    );

    // Identity headers only ever come from authentication policies.
    if !table.identity_headers.is_empty() {
        platform::delete_names(&headers, table.identity_headers);
    }

    // Inbound policies, in order.
    let backend = WorkerAuth {
        request: req,
        headers: inbound,
        query: ex.url.query,
        env,
    };
    let mut step = Inbound::new(&mut headers, &backend, route.id);
    // Set by a cache policy whose lookup missed: what the cache needs after the upstream.
    let mut cache: Option<CacheStep> = None;
    let head = ex.method == "HEAD";
    for &i in route.policies {
        let policy = &table.policies[i as usize];
        let flow = policy
            .on_request::<_, _, Response>(table.policies, &mut step)
            .await;
        if let Some(identity) = &step.identity {
            log.consumer = Some(identity.subject.clone());
        }
        // Headers for the response, whether it comes from the origin or is an error.
        extra.append(&mut step.response_headers);
        for warning in step.warnings.drain(..) {
            let line = serde_json::json!({ "level": "warn", "message": warning, "request_id": ex.ids.request_id });
            platform::console_log(&line.to_string());
        }
        if let Flow::Respond(resp) = flow? {
            return Ok(resp);
        }
        if let Some(c) = step.cache.take() {
            let at = flow::At {
                route: route.id,
                host: ex.url.host,
                path: &path,
                query: ex.url.query,
                inbound,
                head,
            };
            let identity = step.identity.as_ref();
            match flow::look_up(c, &at, identity, step.upstream_headers, table, env).await {
                Looked::Hit(resp) => {
                    log.cache = Some("hit");
                    return Ok(outbound(route, table, resp, ex, 0.0, extra));
                }
                Looked::Forward(s) => cache = Some(s),
            }
        }
    }

    // Upstream.
    let origin = cached_origin(
        route.upstream as usize,
        upstream,
        |name| env.var(name).ok().map(|v| v.to_string()),
        |err| {
            let line = serde_json::json!({ "level": "error", "message": err.detail() });
            platform::console_log(&line.to_string())
        },
    )?;
    let url = upstream_url(
        &origin.authority,
        &origin.base_path,
        &upstream_path(route, &path, &params),
        match &cache {
            Some(c) => c.query.as_deref(),
            None => ex.url.query,
        },
    );
    if let Some(c) = &mut cache {
        let out = flow::Outgoing {
            url: &url,
            headers: &headers,
            request: req,
            upstream,
        };
        if let Some(resp) = c.serve_while_revalidating(ctx, out, inbound, head) {
            log.cache = Some("stale");
            return Ok(outbound(route, table, resp, ex, 0.0, extra));
        }
    }
    let sent_at = platform::now_ms();
    let sent = proxy::send(proxy::Outgoing {
        url: &url,
        method: &ex.method,
        headers: &headers,
        body_from: req,
        upstream: upstream.name,
        timeout_ms: upstream.timeout_ms,
    })
    .await;
    let upstream_ms = platform::now_ms() - sent_at;
    log.upstream_ms = Some(upstream_ms);
    if let Some((resp, label)) = cache
        .as_ref()
        .and_then(|c| c.answer_from_cache(ctx, &sent, inbound, head))
    {
        log.cache = Some(label);
        return Ok(outbound(route, table, resp, ex, upstream_ms, extra));
    }
    let resp = sent?;

    if route.websocket && resp.status() == 101 {
        return Ok(resp); // the handshake response carries the socket; it cannot be re-wrapped
    }
    if let Some(c) = &cache {
        let (label, mut headers) = c.finish(ctx, &resp, inbound);
        log.cache = Some(label);
        extra.append(&mut headers);
    }
    Ok(outbound(route, table, resp, ex, upstream_ms, extra))
}

/// Outbound: hop-by-hop stripped, request id and timing added, policies in reverse order.
fn outbound(
    route: &Route,
    table: &crate::config::Table,
    resp: Response,
    ex: &Exchange,
    upstream_ms: f64,
    extra: &[(&'static str, String)],
) -> Response {
    let Ok(mut headers) = Headers::new_with_headers(&resp.headers()) else {
        return resp;
    };
    let gateway_ms = platform::now_ms() - ex.started - upstream_ms;
    prepare_downstream_response(&mut headers, &ex.ids.request_id, gateway_ms, upstream_ms);
    // Appended: each rate_limit policy adds its own list items.
    for (name, value) in extra {
        let _ = headers.append(name, value);
    }
    for &i in route.policies.iter().rev() {
        table.policies[i as usize].on_response(&mut headers);
    }
    platform::rewrap(&resp, &headers)
}

fn upstream_url(authority: &str, base: &str, path: &str, query: Option<&str>) -> String {
    let mut url = String::with_capacity(
        authority.len() + base.len() + path.len() + query.map_or(0, str::len) + 1,
    );
    url.push_str(authority);
    url.push_str(base);
    url.push_str(path);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// A 200 JSON answer of the gateway's own (the admin endpoint).
fn json_response(body: &str, ex: &Exchange) -> Response {
    let headers = Headers::new().expect("Headers constructor");
    let _ = headers.set("content-type", "application/json");
    let _ = headers.set("cache-control", "no-store");
    let _ = headers.set("x-request-id", &ex.ids.request_id);
    let init = ResponseInit::new();
    init.set_status(200);
    init.set_headers_headers(&headers);
    Response::new_with_opt_str_and_init(Some(body), &init).expect("Response constructor")
}

/// The one place a [`GatewayError`] becomes an HTTP response.
fn problem_response(
    err: &GatewayError,
    ex: &Exchange,
    extra: &[(&'static str, String)],
) -> Response {
    let body = err.to_problem(ex.url.path, &ex.ids.request_id);
    let headers = Headers::new().expect("Headers constructor");
    let _ = headers.set("content-type", PROBLEM_CONTENT_TYPE);
    let _ = headers.set("cache-control", "no-store");
    let _ = headers.set("x-request-id", &ex.ids.request_id);
    let _ = headers.set(
        "server-timing",
        &server_timing(platform::now_ms() - ex.started, None),
    );
    for (name, value) in extra.iter().cloned().chain(err.headers()) {
        let _ = headers.append(name, &value);
    }
    let init = ResponseInit::new();
    init.set_status(err.status());
    init.set_headers_headers(&headers);
    let body = if ex.method == "HEAD" {
        None
    } else {
        Some(body.as_str())
    };
    Response::new_with_opt_str_and_init(body, &init).expect("Response constructor")
}

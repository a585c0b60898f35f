//! The request flow, one direction, nothing kind-specific:
//! context -> route (normalise + match) -> the route's policies through the phases of
//! [`crate::pipeline`] -> outbound -> access log.
//!
//! Every answer, whether from the origin, a cache, a policy or an error, leaves through the
//! exchange's outbound step; errors become problem+json in [`WorkerExchange`]'s `problem`.

use crate::ctx::Ctx;
use crate::exchange::WorkerExchange;
use crate::pipeline::{self, Exchange};
use crate::policy::Policy;
use crate::route::RouteIndex;
use crate::runtime;
use crate::runtime::answer::Answer;
use web_sys::{Request, Response};
use worker::{Context, Env};

/// Handles one request. Never fails: errors are answered as problem+json.
pub async fn handle(req: Request, env: Env, wctx: Context) -> Response {
    let started = runtime::now_ms();
    let table = RouteIndex::global().table();
    runtime::intern_static_strings(table);
    let inbound = req.headers();
    let url = req.url();
    let ctx = Ctx::new(
        &url,
        req.method(),
        inbound.get("x-request-id").ok().flatten().as_deref(),
        inbound.get("traceparent").ok().flatten().as_deref(),
        inbound.get("cf-connecting-ip").ok().flatten(),
        &runtime::random_40(),
        started,
    );
    let mut x = WorkerExchange::new(ctx, &req, inbound, &env, &wctx);

    let docs = crate::docs::serve(&table.docs, x.ctx.url.path, &x.ctx.method, &x.inbound);
    let answer = if let Some(served) = docs {
        x.ctx.log.route = Some("docs");
        let answer = served.unwrap_or_else(|err| x.problem(&err));
        x.outbound(answer)
    } else if let Some(rest) = x.ctx.url.path.strip_prefix(crate::admin::PREFIX) {
        x.ctx.log.route = Some("admin");
        let (method, query) = (x.ctx.method.clone(), x.ctx.url.query);
        let (answer, action) = match crate::admin::handle(&req, &env, &method, rest, query).await {
            Ok(done) => (x.json_with(done.status, done.json), done.action),
            Err(err) => (x.problem(&err), "refused"),
        };
        if !matches!(answer.status, 404) || action != "refused" {
            let line = crate::admin::audit_line(
                &x.ctx.ids.request_id,
                &method,
                x.ctx.url.path,
                action,
                answer.status,
                x.ctx.log.client_ip.as_deref(),
            );
            runtime::log_later(x.worker_ctx, &line);
        }
        x.outbound(answer)
    } else {
        match x.route_request() {
            Ok(route) => {
                let steps: Vec<&'static Policy> = route
                    .policies
                    .iter()
                    .map(|&i| &table.policies[i as usize])
                    .collect();
                pipeline::run(&mut x, &steps).await
            }
            Err(err) => {
                let answer = x.problem(&err);
                x.outbound(answer)
            }
        }
    };
    finish(x, answer)
}

/// The log step: the access-log line is written after the response is handed back.
fn finish(mut x: WorkerExchange<'_>, answer: Answer) -> Response {
    x.ctx.log.status = answer.status;
    x.ctx.log.duration_ms = runtime::now_ms() - x.ctx.started_ms;
    runtime::log_later(x.worker_ctx, &x.ctx.log.to_json());
    answer.into_response()
}

//! The request flow, one direction, nothing kind-specific:
//! context -> route (normalise + match) -> the route's policies through the phases of
//! [`crate::pipeline`] -> outbound -> access log.
//!
//! Every answer, whether from the origin, a cache, a policy or an error, leaves through the
//! exchange's outbound step; errors become problem+json in [`WorkerExchange`]'s `problem`.

use crate::config::TABLE;
use crate::ctx::Ctx;
use crate::exchange::{Tables, WorkerExchange};
use crate::metrics::{data_point, should_log, LogMode, Sizes};
use crate::pipeline::{self, Exchange};
use crate::policy;
use crate::policy::Step;
use crate::runtime;
use crate::runtime::answer::Answer;
use web_sys::{Request, Response};
use worker::{Context, Env};

/// Handles one request. Never fails: errors are answered as problem+json.
pub async fn handle(req: Request, env: Env, wctx: Context) -> Response {
    let started = runtime::now_ms();
    let table = &TABLE;
    runtime::intern_static_strings(|f| {
        table
            .policies
            .iter()
            .for_each(|p| policy::for_each_static_str(p, f))
    });
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
    let tables = Tables {
        routes: crate::config::index(),
        upstreams: table.upstreams,
        identity_headers: table.identity_headers,
        versions: table.versions,
        versioning: table.versioning.as_ref(),
    };
    let mut x = WorkerExchange::new(ctx, &req, inbound, &env, &wctx, tables);

    let head = x.check_head();
    let docs = head
        .is_ok()
        .then(|| {
            crate::docs::serve(
                &table.docs,
                x.ctx.url.path,
                &x.ctx.method,
                &x.inbound,
                || (crate::runtime::calendar_now_ms(&env) / 1000.0) as i64,
            )
        })
        .flatten();
    let answer = if let Err(err) = head {
        let answer = x.problem(&err);
        x.outbound(answer)
    } else if let Some(served) = docs {
        x.ctx.log.route = Some("docs");
        let answer = served.unwrap_or_else(|err| x.problem(&err));
        x.outbound(answer)
    } else if let Some(rest) = x.ctx.url.path.strip_prefix(crate::admin::PREFIX) {
        x.ctx.log.route = Some("admin");
        let answer = crate::admin::answer(&mut x, rest).await;
        x.outbound(answer)
    } else {
        let answers_preflight = |route: &'static crate::route::compiled::Route| {
            let policy = |&i: &u16| &table.policies[usize::from(i)];
            route
                .policies
                .iter()
                .map(policy)
                .any(policy::answers_preflight)
        };
        match x.route_request(answers_preflight) {
            Ok(route) => {
                let policy = |&i: &u16| &table.policies[usize::from(i)];
                x.graphql = route
                    .policies
                    .iter()
                    .map(policy)
                    .any(policy::speaks_graphql);
                let steps = Step::for_route(route, table.policies, table.schemas, &table.protos);
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

/// The log step: the access-log line (unless the route's or gateway's `log` leaves this
/// request out) is written after the response is handed back, and the Analytics Engine data
/// point, when a dataset is bound, without waiting for anything. When a step set
/// `log_after` (an answer that streams on), both wait for it and carry what it adds.
fn finish(mut x: WorkerExchange<'_>, answer: Answer) -> Response {
    x.ctx.log.status = answer.status;
    x.ctx.log.duration_ms = runtime::now_ms() - x.ctx.started_ms;
    let table = &TABLE;
    let mode = x.route.and_then(|r| r.log).unwrap_or(table.log);
    let length = |h: &web_sys::Headers| {
        h.get("content-length")
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse().ok())
    };
    let sizes = Sizes {
        request_bytes: length(&x.inbound),
        response_bytes: length(&answer.headers),
    };
    match x.ctx.log_after.take() {
        None => {
            let plan = x.ctx.identity.as_ref().and_then(|i| i.plan.as_deref());
            let record = Record {
                mode,
                sizes,
                plan,
                env: x.env,
            };
            record.write(&x.ctx.log, Some(x.worker_ctx));
        }
        Some(after) => {
            // Only a streamed answer's line waits: it takes what it needs along.
            let mut log = std::mem::take(&mut x.ctx.log);
            let plan = x.ctx.identity.as_ref().and_then(|i| i.plan.clone());
            let env = x.env.clone();
            x.worker_ctx.wait_until(async move {
                let edit = after.await;
                edit(&mut log);
                let record = Record {
                    mode,
                    sizes,
                    plan: plan.as_deref(),
                    env: &env,
                };
                record.write(&log, None);
            });
        }
    }
    answer.into_response()
}

/// Where a finished request's log line and data point go.
struct Record<'a> {
    mode: LogMode,
    sizes: Sizes,
    plan: Option<&'a str>,
    env: &'a Env,
}

impl Record<'_> {
    /// Writes the line (after the response, through `ctx`, when given; at once otherwise,
    /// from work that already runs after it) and the data point.
    fn write(&self, log: &crate::log::AccessLog, ctx: Option<&Context>) {
        let draw = match self.mode {
            LogMode::Sample(_) => js_sys::Math::random(),
            _ => 0.0,
        };
        if should_log(self.mode, log, draw) {
            match ctx {
                Some(ctx) => runtime::log_later(ctx, &log.to_json()),
                None => runtime::console_log(&log.to_json()),
            }
        }
        if let Some(dataset) = TABLE.analytics {
            let point = data_point(log, self.plan, self.sizes);
            runtime::write_data_point(
                self.env,
                dataset,
                &serde_json::to_string(&point).unwrap_or_default(),
            );
        }
    }
}

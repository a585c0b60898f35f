//! Native micro-benchmarks: route matching at 10, 1k and 10k routes (normalise + match +
//! upstream path, as a request does), and the build-time compile of 10k routes (check + emit).
//! Run by `make bench`; criterion writes estimates under target/criterion/.

use gatehouse_config::{check, emit};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gatehouse::config::{
    Balance, Method, PathGroup, RewritePart, Route, Table, Target, TargetAddr, Upstream, UrlPart,
};
use gatehouse::route::{normalise, upstream_path};
use gatehouse::route::{Matched, RouteIndex};
use std::hint::black_box;

/// A table of `n` routes `/v1/svc{i}/items/{id}` -> `/internal/svc{i}/items/{id}`.
fn table(n: usize) -> &'static Table {
    let leak = |s: String| -> &'static str { s.leak() };
    let routes: Vec<Route> = (0..n)
        .map(|i| {
            let rewrite: &'static [RewritePart] = Vec::leak(vec![
                RewritePart::Lit(leak(format!("/internal/svc{i}/items/"))),
                RewritePart::Param("id"),
            ]);
            Route {
                id: leak(format!("svc{i}")),
                path: leak(format!("/v1/svc{i}/items/{{id}}")),
                methods: &[Method::Get, Method::Head],
                host: None,
                upstream: 0,
                rewrite: Some(rewrite),
                policies: &[],
                websocket: false,
                allow_double_encoding: false,
                retry_unsafe: false,
                conditions: &[],
                limits: gatehouse::config::Limits::NONE,
                fan_out: None,
                grpc: None,
                graphql: None,
                lifecycle: &gatehouse::route::lifecycle::Lifecycle::NONE,
                body_schema: None,
                query_schema: None,
                log: None,
            }
        })
        .collect();
    let routes = Vec::leak(routes);
    let paths: Vec<PathGroup> = (0..n)
        .map(|i| PathGroup {
            path: routes[i].path,
            routes: Vec::leak(vec![i as u16]),
        })
        .collect();
    Box::leak(Box::new(Table {
        upstreams: Vec::leak(vec![Upstream {
            name: "u",
            targets: &[Target {
                id: "http://127.0.0.1:1",
                addr: TargetAddr::Url(&[UrlPart::Lit("http://127.0.0.1:1")]),
                weight: 1,
            }],
            balance: Balance::RoundRobin,
            timeout_ms: 1000,
            deadline_ms: None,
            retries: None,
            breaker: None,
            fallback: None,
            mirror: None,
            canary: None,
            provider: None,
        }]),
        policies: &[],
        routes,
        paths: Vec::leak(paths),
        identity_headers: &[],
        versions: &[],
        versioning: None,
        schemas: &[],
        protos: gatehouse_config::table::proto::Protos::EMPTY,
        docs: gatehouse::config::Docs::NONE,
        log: gatehouse::metrics::LogMode::All,
        analytics: None,
        gc_pace_slots: gatehouse_config::table::gc_pace::DEFAULT,
    }))
}

fn route_matching(c: &mut Criterion) {
    let mut group = c.benchmark_group("route_match");
    for n in [10usize, 1_000, 10_000] {
        let index: &'static RouteIndex = Box::leak(Box::new({
            let t = table(n);
            RouteIndex::new(t.routes, t.paths)
        }));
        let path = format!("/v1/svc{}/items/42", n / 2);
        group.bench_with_input(BenchmarkId::from_parameter(n), &path, |b, path| {
            b.iter(|| {
                let normal = normalise(black_box(path)).unwrap();
                match index.find(Some(Method::Get), "api.example.com", &normal) {
                    Matched::Found { route, params, .. } => {
                        black_box(upstream_path(route.rewrite, &normal, &params))
                    }
                    _ => unreachable!(),
                }
            })
        });
    }
    group.finish();
}

fn build_compile(c: &mut Criterion) {
    let gateway = check::SourceFile {
        path: "routes/gateway.toml".into(),
        text: "[upstreams.svc]\nurl = \"${ORIGIN}\"\n".into(),
    };
    let mut routes = String::new();
    for i in 0..10_000 {
        routes.push_str(&format!(
            "[[route]]\nid = \"svc{i}\"\nmethods = [\"GET\"]\npath = \"/svc{i}/items/{{id}}\"\nupstream = \"svc\"\nrewrite = \"/internal/svc{i}/items/{{id}}\"\n\n"
        ));
    }
    let files = vec![
        gateway,
        check::SourceFile {
            path: "routes/v1/routes.toml".into(),
            text: routes,
        },
    ];
    let mut group = c.benchmark_group("build_compile");
    group.sample_size(10);
    group.bench_function("10000", |b| {
        b.iter(|| {
            let checked = check::check(black_box(&files)).unwrap();
            black_box(emit::emit(&checked))
        })
    });
    group.finish();
}

criterion_group!(benches, route_matching, build_compile);
criterion_main!(benches);

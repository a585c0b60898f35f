//! What crosses the gateway: hop-by-hop stripping, spoof-proof forwarding headers, policies.
#![cfg(not(target_arch = "wasm32"))] // native layer; the test backend uses native-only dev-dependencies

use gatehouse::config::Table;
use gatehouse::http::forwarding::{
    prepare_downstream_response, prepare_upstream_request, server_timing, strip_hop_by_hop,
    Forwarded,
};
use gatehouse::http::{HeaderEdit, HeaderList};
use gatehouse::policy;
use gatehouse::policy::headers::{Edits, Headers};
use gatehouse::policy::{Flow, Inbound, Policy};

mod support;

fn forwarded(websocket: bool) -> Forwarded<'static> {
    Forwarded {
        client_ip: Some("203.0.113.9"),
        proto: "https",
        host: "api.example.com",
        request_id: "req-1",
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        tracestate: None,
        websocket,
    }
}

#[test]
fn hop_by_hop_and_connection_listed_headers_are_stripped() {
    let mut h = HeaderList::from_pairs(&[
        ("Connection", "keep-alive, X-Secret-Hop"),
        ("Keep-Alive", "timeout=5"),
        ("Transfer-Encoding", "chunked"),
        ("TE", "trailers"),
        ("Trailer", "x"),
        ("Upgrade", "h2c"),
        ("Proxy-Authorization", "Basic x"),
        ("Proxy-Connection", "keep-alive"),
        ("X-Secret-Hop", "1"),
        ("Accept", "application/json"),
    ]);
    strip_hop_by_hop(&mut h, false);
    assert_eq!(h.names(), vec!["accept"]);
}

#[test]
fn websocket_routes_keep_the_upgrade_handshake() {
    let mut h = HeaderList::from_pairs(&[
        ("Connection", "Upgrade, x-hop"),
        ("Upgrade", "websocket"),
        ("x-hop", "1"),
        ("Sec-WebSocket-Key", "k"),
    ]);
    strip_hop_by_hop(&mut h, true);
    assert_eq!(h.get("upgrade").as_deref(), Some("websocket"));
    assert_eq!(h.get("connection").as_deref(), Some("upgrade"));
    assert_eq!(h.get("x-hop"), None);
    assert_eq!(h.get("sec-websocket-key").as_deref(), Some("k"));
}

#[test]
fn client_cannot_spoof_forwarding_trace_or_request_headers() {
    let mut h = HeaderList::from_pairs(&[
        ("X-Forwarded-For", "10.0.0.1"),
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "http"),
        ("Forwarded", "for=10.0.0.1"),
        ("X-Real-IP", "10.0.0.1"),
        ("X-Request-Id", "spoofed"),
        (
            "Traceparent",
            "00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01",
        ),
        ("Tracestate", "evil=1"),
        ("Host", "evil.example"),
        ("Server-Timing", "fake;dur=1"),
    ]);
    prepare_upstream_request(&mut h, &forwarded(false));
    assert_eq!(h.get("x-forwarded-for").as_deref(), Some("203.0.113.9"));
    assert_eq!(
        h.get("x-forwarded-host").as_deref(),
        Some("api.example.com")
    );
    assert_eq!(h.get("x-forwarded-proto").as_deref(), Some("https"));
    assert_eq!(h.get("x-request-id").as_deref(), Some("req-1"));
    assert_eq!(
        h.get("traceparent").as_deref(),
        Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    );
    for gone in [
        "forwarded",
        "x-real-ip",
        "tracestate",
        "host",
        "server-timing",
    ] {
        assert_eq!(h.get(gone), None, "{gone} must not reach the origin");
    }
}

#[test]
fn without_a_client_ip_no_forwarded_for_is_sent() {
    let mut h = HeaderList::from_pairs(&[("X-Forwarded-For", "10.0.0.1")]);
    prepare_upstream_request(
        &mut h,
        &Forwarded {
            client_ip: None,
            ..forwarded(false)
        },
    );
    assert_eq!(h.get("x-forwarded-for"), None);
}

#[test]
fn tracestate_is_forwarded_only_when_given() {
    let mut h = HeaderList::default();
    prepare_upstream_request(
        &mut h,
        &Forwarded {
            tracestate: Some("vendor=1"),
            ..forwarded(false)
        },
    );
    assert_eq!(h.get("tracestate").as_deref(), Some("vendor=1"));
}

#[test]
fn responses_lose_hop_by_hop_and_gain_request_id_and_timing() {
    let mut h = HeaderList::from_pairs(&[
        ("Connection", "x-origin-hop"),
        ("X-Origin-Hop", "secret"),
        ("Keep-Alive", "5"),
        ("Content-Type", "application/json"),
        ("X-Request-Id", "origin-made"),
    ]);
    prepare_downstream_response(&mut h, "req-1", 1.26, 30.0);
    assert_eq!(h.get("x-origin-hop"), None);
    assert_eq!(h.get("keep-alive"), None);
    assert_eq!(h.get("content-type").as_deref(), Some("application/json"));
    assert_eq!(h.get("x-request-id").as_deref(), Some("req-1"));
    assert_eq!(
        h.get("server-timing").as_deref(),
        Some("gateway;dur=1.3, upstream;dur=30")
    );
}

#[test]
fn server_timing_without_upstream_has_gateway_only() {
    assert_eq!(server_timing(0.04, None), "gateway;dur=0");
}

static POLICIES: &[Policy] = &[Policy::Headers(Headers {
    request: Edits {
        set: &[("x-env", "demo")],
        remove: &["cookie"],
    },
    response: Edits {
        set: &[("cache-control", "no-store")],
        remove: &["server"],
    },
})];

#[test]
fn headers_policy_edits_both_directions() {
    let mut up = HeaderList::from_pairs(&[("Cookie", "a=1"), ("Accept", "*/*")]);
    let backend = support::TestBackend::default();
    let mut step = Inbound::new(&mut up, &backend, "test-route");
    let flow = futures::executor::block_on(gatehouse::policy::on_request::<_, _, ()>(
        &POLICIES[0],
        POLICIES,
        &mut step,
    ))
    .unwrap();
    assert!(matches!(flow, Flow::Continue));
    assert_eq!(up.get("cookie"), None);
    assert_eq!(up.get("x-env").as_deref(), Some("demo"));

    let mut down = HeaderList::from_pairs(&[("Server", "nginx")]);
    policy::on_response(&POLICIES[0], &mut down);
    assert_eq!(down.get("server"), None);
    assert_eq!(down.get("cache-control").as_deref(), Some("no-store"));
}

// The generated table puts the gateway's default policies before a route's own:
// v1-get-user runs `gateway-tag` (routes/gateway.toml default_policies), then its own
// `no-cookies`.
#[test]
fn example_table_runs_default_policies_first() {
    let t: &Table = &gatehouse::config::TABLE;
    let r = t.routes.iter().find(|r| r.id == "v1-get-user").unwrap();
    let expected = [
        Policy::Headers(Headers {
            request: Edits {
                set: &[("x-gateway", "gatehouse")],
                remove: &[],
            },
            response: Edits {
                set: &[("x-content-type-options", "nosniff")],
                remove: &["x-powered-by"],
            },
        }),
        Policy::Headers(Headers {
            request: Edits {
                set: &[],
                remove: &["cookie"],
            },
            response: Edits {
                set: &[],
                remove: &[],
            },
        }),
    ];
    let got: Vec<String> = r
        .policies
        .iter()
        .map(|&i| format!("{:?}", t.policies[usize::from(i)]))
        .collect();
    let want: Vec<String> = expected.iter().map(|p| format!("{p:?}")).collect();
    assert_eq!(got, want, "gateway-tag, then no-cookies");
}

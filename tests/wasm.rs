//! wasm-bindgen tests: the code that touches JS types, run on wasm32 in Node
//! (`cargo test --target wasm32-unknown-unknown --test wasm`).
#![cfg(target_arch = "wasm32")]

use gatehouse::error::GatewayError;
use gatehouse::http::forwarding::{
    prepare_downstream_response, prepare_upstream_request, Forwarded,
};
use gatehouse::http::HeaderEdit;
use gatehouse::runtime;
use gatehouse::upstream::forward;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Headers, Response, ResponseInit};

fn headers(pairs: &[(&str, &str)]) -> Headers {
    let h = Headers::new().unwrap();
    for (k, v) in pairs {
        h.append(k, v).unwrap();
    }
    h
}

#[wasm_bindgen_test]
fn js_headers_are_edited_case_insensitively() {
    let mut h = headers(&[("X-Thing", "1")]);
    assert_eq!(HeaderEdit::get(&h, "x-thing").as_deref(), Some("1"));
    HeaderEdit::set(&mut h, "X-THING", "2");
    assert_eq!(HeaderEdit::get(&h, "x-thing").as_deref(), Some("2"));
    HeaderEdit::remove(&mut h, "x-Thing");
    assert_eq!(HeaderEdit::get(&h, "x-thing"), None);
}

#[wasm_bindgen_test]
fn upstream_headers_on_a_real_headers_object() {
    let mut h = headers(&[
        ("connection", "x-hop"),
        ("x-hop", "1"),
        ("x-forwarded-for", "10.0.0.1"),
        ("x-request-id", "spoofed"),
        ("accept", "application/json"),
    ]);
    prepare_upstream_request(
        &mut h,
        &Forwarded {
            client_ip: Some("203.0.113.9"),
            proto: "https",
            host: "api.example.com",
            request_id: "req-1",
            traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            tracestate: None,
            websocket: false,
        },
    );
    assert_eq!(h.get("x-hop").unwrap(), None);
    assert_eq!(h.get("connection").unwrap(), None);
    assert_eq!(
        h.get("x-forwarded-for").unwrap().as_deref(),
        Some("203.0.113.9")
    );
    assert_eq!(h.get("x-request-id").unwrap().as_deref(), Some("req-1"));
    assert_eq!(
        h.get("accept").unwrap().as_deref(),
        Some("application/json")
    );
}

#[wasm_bindgen_test]
async fn an_editable_response_keeps_status_status_text_and_body_and_takes_header_edits() {
    let init = ResponseInit::new();
    init.set_status(201);
    init.set_status_text("Made");
    init.set_headers_headers(&headers(&[
        ("keep-alive", "5"),
        ("content-type", "text/plain"),
    ]));
    let origin = Response::new_with_opt_str_and_init(Some("hello"), &init).unwrap();
    let resp = runtime::editable(&origin);
    let mut h = resp.headers();
    prepare_downstream_response(&mut h, "req-9", 1.0, 2.0);
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.status_text(), "Made");
    assert_eq!(resp.headers().get("keep-alive").unwrap(), None);
    assert_eq!(
        resp.headers().get("x-request-id").unwrap().as_deref(),
        Some("req-9")
    );
    assert_eq!(
        origin.headers().get("keep-alive").unwrap().as_deref(),
        Some("5"),
        "the origin's headers are copied, not edited"
    );
    let text = JsFuture::from(resp.text().unwrap()).await.unwrap();
    assert_eq!(text.as_string().as_deref(), Some("hello"));
}

#[wasm_bindgen_test]
async fn a_stored_entry_is_served_without_its_metadata_and_with_the_origins_headers_restored() {
    let init = ResponseInit::new();
    init.set_status(200);
    init.set_headers_headers(&headers(&[
        ("cache-control", "public, max-age=700"),
        (
            "x-gatehouse-meta",
            r#"{"at":1,"ttl":60,"age":0,"sie":0,"swr":0}"#,
        ),
        ("etag", "\"v1\""),
        ("content-type", "text/plain"),
    ]));
    let stored = Response::new_with_opt_str_and_init(Some("hello"), &init).unwrap();
    let hit = runtime::cached_response(
        &stored,
        200,
        true,
        Some("max-age=60".into()),
        Some("accept".into()),
        "5",
        "Gatehouse; hit; ttl=55",
    );
    let h = hit.headers();
    assert_eq!(h.get("x-gatehouse-meta").unwrap(), None);
    assert_eq!(
        h.get("cache-control").unwrap().as_deref(),
        Some("max-age=60")
    );
    assert_eq!(h.get("vary").unwrap().as_deref(), Some("accept"));
    assert_eq!(h.get("age").unwrap().as_deref(), Some("5"));
    assert_eq!(h.get("etag").unwrap().as_deref(), Some("\"v1\""));
    h.set("x-request-id", "editable").unwrap();
    let text = JsFuture::from(hit.text().unwrap()).await.unwrap();
    assert_eq!(text.as_string().as_deref(), Some("hello"));

    let stored = Response::new_with_opt_str_and_init(Some("hello"), &init).unwrap();
    let not_modified = runtime::cached_response(&stored, 304, false, None, None, "5", "x");
    assert_eq!(not_modified.status(), 304);
    assert!(not_modified.body().is_none());
    assert_eq!(
        not_modified.headers().get("cache-control").unwrap(),
        None,
        "no origin Cache-Control: the stored one is not shown"
    );
}

#[wasm_bindgen_test]
fn randomness_comes_from_the_runtime_csprng() {
    let a = runtime::random_40();
    let b = runtime::random_40();
    assert_ne!(a, b);
}

#[wasm_bindgen_test]
async fn closed_port_is_upstream_unreachable() {
    let h = Headers::new().unwrap();
    // The example table's "users" upstream is ${ECHO_ORIGIN}: point it at a closed port.
    let env = js_sys::Object::new();
    js_sys::Reflect::set(&env, &"ECHO_ORIGIN".into(), &"http://127.0.0.1:1".into()).unwrap();
    let env: worker::Env = env.unchecked_into();
    let index = gatehouse::config::TABLE
        .upstreams
        .iter()
        .position(|u| u.name == "users")
        .unwrap();
    let err = forward::send(forward::Outgoing {
        upstreams: gatehouse::config::TABLE.upstreams,
        upstream: index,
        path_and_query: "/",
        method: "GET",
        headers: &h,
        body: forward::Body::None,
        hash_key: None,
        retryable: false,
        resendable: false,
        deadline_at: None,
        alone: true,
        env: &env,
    })
    .await;
    let (sent, tries) = err;
    assert_eq!(
        sent.err(),
        Some(GatewayError::UpstreamUnreachable { upstream: "users" })
    );
    assert_eq!(tries.len(), 1);
    assert_eq!(tries[0].outcome, "connect");
}

#[wasm_bindgen_test]
fn header_lists_are_deleted_in_one_call() {
    let mut h = headers(&[("keep-alive", "1"), ("te", "x"), ("accept", "*/*")]);
    HeaderEdit::remove_all(&mut h, gatehouse::http::reserved::HOP_BY_HOP_HEADERS);
    HeaderEdit::remove_all(&mut h, gatehouse::http::reserved::HOP_BY_HOP_HEADERS); // cached list
    assert_eq!(h.get("keep-alive").unwrap(), None);
    assert_eq!(h.get("te").unwrap(), None);
    assert_eq!(h.get("accept").unwrap().as_deref(), Some("*/*"));
}

/// Test vectors made once with Node's crypto (tests/fixtures/jws_vectors.json; the private
/// keys were discarded). WebCrypto must accept each signature and refuse a tampered one.
#[wasm_bindgen_test]
async fn webcrypto_verifies_rs_ps_es_and_eddsa_signatures() {
    use gatehouse::auth::jwk::{base64_decode, parse_jwk, KeyMaterial, PublicJwk};
    use gatehouse::auth::Alg;
    use gatehouse::runtime::auth::verify_with_webcrypto;
    let v: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/jws_vectors.json")).unwrap();
    let input = v["input"].as_str().unwrap();
    for alg in [Alg::Rs256, Alg::Ps256, Alg::Es256, Alg::EdDsa] {
        let t = &v[alg.name()];
        let jwk: serde_json::Value = serde_json::from_str(t["jwk"].as_str().unwrap()).unwrap();
        let key = parse_jwk(&jwk).unwrap().unwrap();
        let sig = base64_decode(t["sig"].as_str().unwrap(), true).unwrap();
        assert!(
            verify_with_webcrypto(&key, alg, input, &sig).await,
            "{alg:?} via JWK"
        );
        assert!(
            verify_with_webcrypto(&key, alg, input, &sig).await,
            "{alg:?} with the cached CryptoKey"
        );
        let spki = PublicJwk {
            material: KeyMaterial::Spki(base64_decode(t["spki"].as_str().unwrap(), false).unwrap()),
            ..key.clone()
        };
        assert!(
            verify_with_webcrypto(&spki, alg, input, &sig).await,
            "{alg:?} via SPKI"
        );
        let tampered = input.replace("X", "Y");
        assert!(
            !verify_with_webcrypto(&key, alg, &tampered, &sig).await,
            "{alg:?} tampered input"
        );
        assert!(
            !verify_with_webcrypto(&key, alg, input, &sig[..sig.len() - 1]).await,
            "{alg:?} short signature"
        );
        assert!(
            !verify_with_webcrypto(&key, alg, input, &[]).await,
            "{alg:?} empty signature"
        );
    }
    // A key of the wrong kind for the algorithm cannot be imported, so nothing verifies.
    let rsa: serde_json::Value = serde_json::from_str(v["RS256"]["jwk"].as_str().unwrap()).unwrap();
    let rsa = parse_jwk(&rsa).unwrap().unwrap();
    let es_sig = base64_decode(v["ES256"]["sig"].as_str().unwrap(), true).unwrap();
    assert!(!verify_with_webcrypto(&rsa, Alg::Es256, input, &es_sig).await);
}

/// A stand-in for the worker's `ctx`: collects the promises given to `waitUntil`.
fn wait_until_ctx() -> (wasm_bindgen::JsValue, js_sys::Array) {
    let pending = js_sys::Array::new();
    let ctx = js_sys::Object::new();
    let push = js_sys::Function::new_with_args("p", "this.pending.push(p)");
    js_sys::Reflect::set(&ctx, &"pending".into(), &pending).unwrap();
    js_sys::Reflect::set(&ctx, &"waitUntil".into(), &push).unwrap();
    (ctx.into(), pending)
}

async fn settle(pending: &js_sys::Array) {
    JsFuture::from(js_sys::Promise::all(pending)).await.unwrap();
}

fn entry(body: &str) -> Response {
    let init = ResponseInit::new();
    init.set_status(200);
    init.set_headers_headers(&headers(&[("content-type", "text/plain")]));
    Response::new_with_opt_str_and_init(Some(body), &init).unwrap()
}

#[wasm_bindgen_test]
async fn a_hot_copy_is_served_until_the_index_drops_it() {
    let url = "https://hot.test/served";
    let (ctx, pending) = wait_until_ctx();
    runtime::hot_remember_later(&ctx, url, &entry("kept"));
    settle(&pending).await;
    let copy = runtime::hot_match(url).expect("the copy is held");
    let text = JsFuture::from(copy.text().unwrap()).await.unwrap();
    assert_eq!(text.as_string().as_deref(), Some("kept"));
    runtime::hot_forget(url);
    assert!(runtime::hot_match(url).is_none());
}

#[wasm_bindgen_test]
async fn a_hot_copy_dropped_while_its_write_is_in_flight_is_never_written() {
    // The index (cache::hot) dropped the copy before platform.js had read its body: the bytes
    // must not land, or platform.js would hold bytes no index slot accounts for.
    let url = "https://hot.test/in-flight";
    let (ctx, pending) = wait_until_ctx();
    runtime::hot_remember_later(&ctx, url, &entry("too late"));
    runtime::hot_forget(url);
    settle(&pending).await;
    assert!(runtime::hot_match(url).is_none());
}

#[wasm_bindgen_test]
async fn an_older_write_in_flight_never_replaces_a_newer_copy() {
    let url = "https://hot.test/order";
    let (ctx, pending) = wait_until_ctx();
    runtime::hot_remember_later(&ctx, url, &entry("older"));
    runtime::hot_forget(url); // a newer entry was admitted: the older copy goes
    runtime::hot_remember_later(&ctx, url, &entry("newer"));
    settle(&pending).await;
    let copy = runtime::hot_match(url).expect("the newer copy is held");
    let text = JsFuture::from(copy.text().unwrap()).await.unwrap();
    assert_eq!(text.as_string().as_deref(), Some("newer"));
}

#[wasm_bindgen_test]
fn the_hot_tiers_store_numbers_stay_bounded_with_distinct_urls() {
    // Every store and every dropped copy numbers its URL; many distinct URLs must not keep
    // their numbers (and strings) alive without bound.
    for i in 0..20_000 {
        runtime::hot_forget(&format!("https://hot.test/many/{i}"));
    }
    let sizes = runtime::hot_sizes();
    let numbers = js_sys::Reflect::get(&sizes, &"numbers".into())
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(numbers <= 8192.0, "{numbers} store numbers kept");
    assert!(numbers > 0.0);
}

#[wasm_bindgen_test]
fn the_gc_pace_slots_export_answers_the_value_routes_gateway_toml_sets() {
    // src/entry.js reads `gcPaceSlots()` once to size its per-event array; routes/gateway.toml
    // sets the default explicitly (tests/config_check.rs covers other values and the bounds).
    assert_eq!(
        gatehouse::gc_pace_slots(),
        gatehouse_config::table::gc_pace::DEFAULT
    );
}

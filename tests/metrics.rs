//! Metrics and log control, pure parts: the Analytics Engine data point's layout and limits,
//! and which requests get an access-log line.

use gatehouse::log::{AccessLog, LlmLog};
use gatehouse::metrics::{data_point, is_error, should_log, LogMode, Sizes};

fn log(status: u16, error: Option<&'static str>) -> AccessLog {
    AccessLog {
        route: Some("v1-get-user"),
        version: Some("v1"),
        method: "GET".into(),
        status,
        error,
        cache: Some("hit"),
        target: Some("https://origin.example"),
        upstream: Some("users"),
        consumer: Some("acme".into()),
        operation: Some("TopBooks".into()),
        duration_ms: 12.5,
        upstream_ms: Some(10.0),
        ..AccessLog::default()
    }
}

#[test]
fn the_data_point_layout_is_stable() {
    let p = data_point(
        &log(200, None),
        Some("gold"),
        Sizes {
            request_bytes: Some(7),
            response_bytes: None,
        },
    );
    assert_eq!(p.indexes, vec!["acme"]);
    assert_eq!(
        p.blobs,
        vec![
            "v1-get-user",
            "v1",
            "GET",
            "200",
            "",
            "hit",
            "https://origin.example",
            "acme",
            "gold",
            "users",
            "TopBooks",
            "",
            "",
            ""
        ]
    );
    assert_eq!(
        p.doubles,
        vec![200.0, 12.5, 10.0, 7.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    assert_eq!(
        serde_json::to_string(&p).unwrap(),
        r#"{"indexes":["acme"],"blobs":["v1-get-user","v1","GET","200","","hit","https://origin.example","acme","gold","users","TopBooks","","",""],"doubles":[200.0,12.5,10.0,7.0,-1.0,0.0,0.0,0.0,0.0,0.0]}"#
    );
}

#[test]
fn an_llm_call_fills_its_blobs_and_doubles_after_the_others() {
    let mut l = log(200, None);
    l.llm = Some(LlmLog {
        alias: "fast",
        provider: "llm-openai",
        model: "gpt-4o-mini",
        tokens_in: 12,
        tokens_out: 30,
        cost_usd: Some(0.0000198),
        ttft_ms: Some(180.5),
        attempts: 2,
        ..LlmLog::default()
    });
    let p = data_point(&l, Some("gold"), Sizes::default());
    assert_eq!(&p.blobs[11..], ["llm-openai", "gpt-4o-mini", "fast"]);
    assert_eq!(&p.doubles[5..], [12.0, 30.0, 0.0000198, 180.5, 2.0]);
}

#[test]
fn an_anonymous_request_has_an_empty_index_and_long_values_are_cut_on_character_boundaries() {
    let mut l = log(404, Some("route-not-found"));
    l.consumer = None;
    assert_eq!(data_point(&l, None, Sizes::default()).indexes, vec![""]);
    l.consumer = Some("é".repeat(100)); // 200 bytes
    let p = data_point(&l, None, Sizes::default());
    assert_eq!(p.indexes[0].len(), 96);
    assert!(p.blobs[7].len() <= 256);
    assert_eq!(p.blobs[7], "é".repeat(100));
}

#[test]
fn errors_are_always_logged_and_the_rest_as_the_mode_says() {
    let ok = log(200, None);
    let origin_404 = log(404, None);
    let refused = log(429, Some("rate-limited"));
    let broken = log(502, None);
    assert!(!is_error(&ok) && !is_error(&origin_404));
    assert!(is_error(&refused) && is_error(&broken));
    for l in [&ok, &origin_404, &refused, &broken] {
        assert!(should_log(LogMode::All, l, 0.99));
    }
    assert!(!should_log(LogMode::Errors, &ok, 0.0));
    assert!(!should_log(LogMode::Errors, &origin_404, 0.0));
    assert!(should_log(LogMode::Errors, &refused, 0.99));
    assert!(should_log(LogMode::Sample(0.1), &ok, 0.05));
    assert!(!should_log(LogMode::Sample(0.1), &ok, 0.1));
    assert!(should_log(LogMode::Sample(0.1), &broken, 0.99));
}

#[test]
fn a_fallback_upstream_named_static_is_logged_by_name_yet_is_not_the_static_answer() {
    use gatehouse::log::FellBack;
    let named = FellBack::Upstream("static");
    assert_ne!(named, FellBack::Static);
    for f in [named, FellBack::Static] {
        let line = AccessLog {
            fallback: Some(f),
            ..log(200, None)
        };
        let json = serde_json::to_value(&line).unwrap();
        assert_eq!(json["fallback"], "static");
    }
    let other = AccessLog {
        fallback: Some(FellBack::Upstream("spare")),
        ..log(200, None)
    };
    assert_eq!(serde_json::to_value(&other).unwrap()["fallback"], "spare");
}

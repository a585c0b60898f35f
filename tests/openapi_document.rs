//! What the OpenAPI documents say beyond the route list: they follow the routes' calendar (an
//! operation with a `sunset` is written live, and from its sunset on `OpenApiDoc::at` serves it
//! retired - `x-gatehouse-retired-<method>`: deprecated, only 410 - still valid JSON, with a
//! new ETag); routes sharing a path and method are one operation (the one a plain request
//! reaches) with the others as variants; every operation lists the request-limit answers.
#![cfg(not(target_arch = "wasm32"))]

use gatehouse_config as checker;

use checker::check::{check, SourceFile};
use checker::openapi::documents;
use checker::table::{OpenApiDoc, OpenApiSunset};
use serde_json::Value;

const GATEWAY: &str = r#"
[upstreams.users]
url = "http://127.0.0.1:9001"
"#;

// Two sunsets (2026-01-01 and 2027-01-01) on routes sharing a path item with a live one.
const ROUTES: &str = r#"
[[route]]
id = "old-read"
methods = ["GET", "PUT"]
path = "/things/{id}"
upstream = "users"
sunset = "2026-01-01T00:00:00Z"

[[route]]
id = "new-delete"
methods = ["DELETE"]
path = "/things/{id}"
upstream = "users"

[[route]]
id = "split"
methods = ["GET"]
path = "/split/{*rest}"
upstream = "users"

[[route]]
id = "split-beta"
methods = ["GET"]
path = "/split/{*rest}"
upstream = "users"
match = { headers = { "x-tenant" = "acme" }, query = { beta = "1" } }

[[route]]
id = "only-acme"
methods = ["GET"]
path = "/acme"
upstream = "users"
match = { headers = { "x-tenant" = "acme" } }

[[route]]
id = "partner"
methods = ["GET"]
path = "/later"
host = "partner.example.com"
upstream = "users"

[[route]]
id = "later"
methods = ["POST"]
path = "/later"
upstream = "users"
sunset = "2027-01-01T00:00:00Z"
"#;

const JAN_2026: i64 = 1_767_225_600;
const JAN_2027: i64 = 1_798_761_600;

fn whole_api() -> OpenApiDoc {
    let c = check(&[
        SourceFile {
            path: "routes/gateway.toml".into(),
            text: GATEWAY.into(),
        },
        SourceFile {
            path: "routes/v1/things.toml".into(),
            text: ROUTES.into(),
        },
    ])
    .expect("the routes check");
    let w = documents(&c)
        .into_iter()
        .next()
        .expect("the whole API's document");
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let sunsets: Vec<OpenApiSunset> = w
        .sunsets
        .into_iter()
        .map(|(sunset_s, start, end, retired)| OpenApiSunset {
            sunset_s,
            start: start as u32,
            end: end as u32,
            retired: leak(retired),
        })
        .collect();
    OpenApiDoc {
        prefix: leak(w.prefix),
        json: leak(w.text),
        etag: leak(w.etag),
        sunsets: Box::leak(sunsets.into_boxed_slice()),
    }
}

fn parsed(doc: &OpenApiDoc, now_s: i64) -> (Value, String) {
    let (text, etag) = doc.at(now_s);
    let v = serde_json::from_str(&text).expect("the served document is JSON");
    (v, etag.unwrap_or_else(|| doc.etag.to_string()))
}

#[test]
fn each_sunset_marks_its_live_operation_in_the_text() {
    let doc = whole_api();
    assert_eq!(
        doc.sunsets.len(),
        3,
        "GET and PUT of old-read, POST of later"
    );
    for s in doc.sunsets {
        let live = &doc.json[s.start as usize..s.end as usize];
        let method = live.split(':').next().unwrap();
        assert!(
            ["\"get\"", "\"put\"", "\"post\""].contains(&method),
            "{live}"
        );
        assert!(s
            .retired
            .starts_with(&format!("\"x-gatehouse-retired-{}", &method[1..])));
    }
}

#[test]
fn before_any_sunset_the_document_is_the_build_s_text() {
    let doc = whole_api();
    let (text, etag) = doc.at(JAN_2026 - 1);
    assert_eq!(text, doc.json);
    assert_eq!(etag, None);
}

#[test]
fn operations_past_their_sunset_are_served_retired_answering_only_410() {
    let doc = whole_api();
    let (before, etag_before) = parsed(&doc, JAN_2026 - 1);
    let (mid, etag_mid) = parsed(&doc, JAN_2026);
    let (after, etag_after) = parsed(&doc, JAN_2027);
    let things = "/v1/things/{id}";
    assert!(before["paths"][things]["get"].is_object());
    assert_eq!(
        before["paths"][things]["get"]["responses"]["410"]["$ref"],
        "#/components/responses/Gone"
    );

    for method in ["get", "put"] {
        assert!(
            mid["paths"][things].get(method).is_none(),
            "{method} is retired"
        );
        let retired = &mid["paths"][things][format!("x-gatehouse-retired-{method}")];
        assert_eq!(retired["deprecated"], true);
        let statuses: Vec<&String> = retired["responses"].as_object().unwrap().keys().collect();
        assert_eq!(statuses, ["410"]);
        assert!(retired["description"]
            .as_str()
            .unwrap()
            .contains("Thu, 01 Jan 2026 00:00:00 GMT"));
    }
    assert!(
        mid["paths"][things]["delete"].is_object(),
        "a route without sunset stays"
    );
    assert!(
        mid["paths"]["/v1/later"]["post"].is_object(),
        "a later sunset has not come"
    );
    assert!(after["paths"]["/v1/later"].get("post").is_none());
    assert!(after["paths"]["/v1/later"]["x-gatehouse-retired-post"].is_object());

    assert_ne!(etag_before, etag_mid);
    assert_ne!(etag_mid, etag_after);
}

#[test]
fn path_parameters_carry_the_shared_pattern() {
    let doc = whole_api();
    let (v, _) = parsed(&doc, 0);
    let id = &v["paths"]["/v1/things/{id}"]["delete"]["parameters"][0]["schema"];
    assert_eq!(id["type"], "string");
    assert_eq!(id["minLength"], 1);
    assert_eq!(
        id["pattern"],
        gatehouse_shared::path_param::pattern(false, false)
    );
}

#[test]
fn every_operation_lists_the_request_limit_answers() {
    let doc = whole_api();
    let (v, _) = parsed(&doc, 0);
    let op = &v["paths"]["/v1/things/{id}"]["delete"]["responses"];
    for status in ["400", "404", "405", "414", "431"] {
        assert!(op.get(status).is_some(), "{status}");
    }
}

#[test]
fn routes_sharing_a_path_and_method_are_the_plain_route_with_the_others_as_variants() {
    let doc = whole_api();
    let (v, _) = parsed(&doc, 0);
    let split = &v["paths"]["/v1/split/{rest}"]["get"];
    assert_eq!(
        split["operationId"], "split",
        "a request without the conditions reaches it"
    );
    assert_eq!(
        split["x-gatehouse-variants"],
        serde_json::json!([{ "operationId": "split-beta", "headers": { "x-tenant": "acme" }, "query": { "beta": "1" } }])
    );
    let later = &v["paths"]["/v1/later"]["post"];
    assert_eq!(later["operationId"], "later");
    let partner = &v["paths"]["/v1/later"]["get"];
    assert_eq!(
        partner["operationId"], "partner",
        "alone on its method, the host route is the operation"
    );
}

#[test]
fn a_route_taken_only_with_a_match_condition_requires_it_as_a_parameter() {
    let doc = whole_api();
    let (v, _) = parsed(&doc, 0);
    let params = &v["paths"]["/v1/acme"]["get"]["parameters"];
    assert_eq!(params[0]["name"], "x-tenant");
    assert_eq!(params[0]["in"], "header");
    assert_eq!(params[0]["required"], true);
    assert_eq!(params[0]["schema"]["const"], "acme");
}

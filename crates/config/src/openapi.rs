//! OpenAPI 3.1 documents written from the checked configuration at build time: one for every
//! route (`/openapi.json`) and one per version (`/<version>/openapi.json`), plus the admin
//! API's own. What each holds is listed in docs/src/features/openapi-portal.md.
//!
//! Contract: a request the document calls valid is not refused for a reason the document
//! leaves out. Path parameters carry the pattern of the values path normalisation accepts
//! ([`gatehouse_shared::path_param::pattern`]); every operation lists the answers that can
//! refuse it (400, 404, 405, 414, 431 always; 401/403, 410, 413, 415, 422, 429 when its
//! policies, lifecycle, limits or schemas bring them); what a request needs to be taken by
//! the route (`match` conditions, a GraphQL endpoint's `query`, a limited route's media types)
//! is a required part of it; routes sharing a path and method are the operation a plain
//! request reaches, the others listed in `x-gatehouse-variants`. An operation with a `sunset` is written
//! twice: live, and retired (`x-gatehouse-retired-<method>` in its path item: deprecated,
//! answering only 410); [`documents`] says where, and the worker serves the retired text from
//! the sunset on, so the document follows the same calendar as the routes. An `llm` route's
//! request body and answers are OpenAI's ([`super::openapi_llm`]).

use super::check::{Checked, CheckedRoute, Condition};
use super::dates::imf_fixdate;
use super::kinds::Settings;
use serde_json::{json, Map, Value};

/// Every gateway answer a route can give, with when it applies.
const PROBLEMS: &[(u16, &str, &str)] = &[
    (
        400,
        "BadRequest",
        "The request is malformed: the path (400 `bad-path`: a path parameter outside its `pattern`), the query, the body or the version.",
    ),
    (401, "Unauthorized", "No valid credentials."),
    (
        403,
        "Forbidden",
        "The credentials lack a scope, role or claim the route requires.",
    ),
    (
        404,
        "NotFound",
        "No route matches (also a path parameter that is `.` or `..`, or that names a fixed sibling path).",
    ),
    (
        405,
        "MethodNotAllowed",
        "The path exists, not for this method (see Allow).",
    ),
    (410, "Gone", "The route's version is past its sunset."),
    (
        413,
        "PayloadTooLarge",
        "The body is larger than the route allows.",
    ),
    (
        414,
        "UriTooLong",
        "The request target (path and query) is longer than the gateway accepts.",
    ),
    (
        415,
        "UnsupportedMediaType",
        "The body's media type is not accepted.",
    ),
    (
        422,
        "ValidationFailed",
        "The body or query does not meet the route's schema; `errors` lists each failure.",
    ),
    (
        429,
        "RateLimited",
        "A rate limit or quota is exhausted (see Retry-After).",
    ),
    (
        431,
        "HeadersTooLarge",
        "The header fields are larger, or more numerous, than the gateway or the route accepts.",
    ),
    (
        502,
        "BadGateway",
        "The upstream failed or gave no usable answer.",
    ),
    (
        503,
        "Unavailable",
        "Every upstream target is unavailable, or a dependency of the gateway is.",
    ),
    (
        504,
        "GatewayTimeout",
        "The upstream did not answer in time.",
    ),
];

/// One written document.
pub struct Written {
    /// "" for the whole API, else `/<version>`.
    pub prefix: String,
    /// The JSON text before any operation's sunset.
    pub text: String,
    /// A strong validator of `text`.
    pub etag: String,
    /// The operations with a sunset, in text order: `(sunset_s, start, end, retired)`, where
    /// `text[start..end]` is the live member (`"get":{..}`) and `retired` replaces it from the
    /// sunset on.
    pub sunsets: Vec<(i64, usize, usize, String)>,
}

/// The documents: the whole API first, then one per version.
pub fn documents(c: &Checked) -> Vec<Written> {
    let mut out = vec![(String::new(), document_parts(c, None))];
    for v in &c.versions {
        out.push((format!("/{v}"), document_parts(c, Some(v))));
    }
    out.into_iter()
        .map(|(prefix, (doc, sunsetting))| {
            let marked = serde_json::to_string(&doc).unwrap_or_default();
            // Each placeholder's place in the marked text, in text order.
            let mut places: Vec<(usize, usize, &Sunsetting)> = sunsetting
                .iter()
                .enumerate()
                .filter_map(|(n, s)| {
                    let placeholder =
                        format!("{}:{}", json!(s.method), json!(format!("{PLACEHOLDER}{n}")));
                    marked
                        .find(&placeholder)
                        .map(|at| (at, at + placeholder.len(), s))
                })
                .collect();
            places.sort_by_key(|&(at, _, _)| at);
            let mut text = String::with_capacity(marked.len());
            let mut sunsets = Vec::new();
            let mut from = 0;
            for (at, end, s) in places {
                text.push_str(&marked[from..at]);
                let live = format!("{}:{}", json!(s.method), s.live);
                let retired = format!(
                    "{}:{}",
                    json!(format!("x-gatehouse-retired-{}", s.method)),
                    s.retired
                );
                sunsets.push((s.sunset_s, text.len(), text.len() + live.len(), retired));
                text.push_str(&live);
                from = end;
            }
            text.push_str(&marked[from..]);
            let etag = format!("\"{:016x}\"", crate::table::fnv1a(text.as_bytes()));
            Written {
                prefix,
                text,
                etag,
                sunsets,
            }
        })
        .collect()
}

/// Marks an operation's place in a document's text until [`documents`] writes it.
const PLACEHOLDER: &str = "\u{1}gatehouse-operation-";

/// An operation with a sunset: its method key and both of its texts.
struct Sunsetting {
    sunset_s: i64,
    method: String,
    live: Value,
    retired: Value,
}

/// One document: every route, or those of `version`, as it reads before any sunset.
pub fn document(c: &Checked, version: Option<&str>) -> Value {
    let (mut doc, sunsetting) = document_parts(c, version);
    for (n, s) in sunsetting.into_iter().enumerate() {
        let mark = json!(format!("{PLACEHOLDER}{n}"));
        if let Some(paths) = doc["paths"].as_object_mut() {
            for item in paths.values_mut() {
                if item.get(&s.method) == Some(&mark) {
                    item[&s.method] = s.live.clone();
                }
            }
        }
    }
    doc
}

/// A document with each operation that has a sunset left as a placeholder, and those
/// operations.
fn document_parts(c: &Checked, version: Option<&str>) -> (Value, Vec<Sunsetting>) {
    let mut sunsetting = Vec::new();
    let mut paths = Map::new();
    let mut schemes = Map::new();
    let mut schemas = Map::new();
    schemas.insert("Problem".into(), problem_schema());
    // The routes behind each (path, method), in the routes' order.
    let mut slots: Vec<(String, String, Vec<&CheckedRoute>)> = Vec::new();
    for r in c
        .routes
        .iter()
        .filter(|r| version.is_none_or(|v| r.version == v))
    {
        let path = openapi_path(&r.path);
        for m in r.methods.iter().filter(|m| *m != "HEAD") {
            match slots.iter_mut().find(|(p, k, _)| *p == path && k == m) {
                Some((_, _, routes)) => routes.push(r),
                None => slots.push((path.clone(), m.clone(), vec![r])),
            }
        }
    }
    for (path, m, routes) in slots {
        // A request without a Host or `match` condition of its own reaches the route that has
        // none; that one is the operation, the others its variants.
        let r = routes
            .iter()
            .copied()
            .find(|r| r.host.is_none() && r.conditions.is_empty())
            .unwrap_or(routes[0]);
        let mut op = operation(c, r, &m, &mut schemes, &mut schemas);
        let variants: Vec<Value> = routes
            .iter()
            .filter(|v| v.id != r.id)
            .map(|v| variant(v))
            .collect();
        if !variants.is_empty() {
            op["x-gatehouse-variants"] = json!(variants);
        }
        let item = paths
            .entry(path)
            .or_insert_with(|| Value::Object(Map::new()));
        let key = m.to_ascii_lowercase();
        let Some(sunset_s) = r.lifecycle.sunset_s else {
            item[&key] = op;
            continue;
        };
        item[&key] = json!(format!("{PLACEHOLDER}{}", sunsetting.len()));
        sunsetting.push(Sunsetting {
            sunset_s,
            retired: retired_operation(&op, sunset_s, r),
            method: key,
            live: op,
        });
    }
    let mut responses = Map::new();
    for (status, name, description) in PROBLEMS {
        let mut resp = json!({
            "description": description,
            "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } },
        });
        if *status == 429 {
            resp["headers"] = json!({
                "RateLimit": { "$ref": "#/components/headers/RateLimit" },
                "RateLimit-Policy": { "$ref": "#/components/headers/RateLimit-Policy" },
                "Retry-After": { "$ref": "#/components/headers/Retry-After" },
            });
        }
        responses.insert((*name).into(), resp);
    }
    for schema in schemas.values_mut() {
        exact_numbers(schema);
    }
    schemas.insert("JsonValue".into(), json_value_schema());
    let title = match version {
        Some(v) => format!("{} ({v})", c.docs.title),
        None => c.docs.title.clone(),
    };
    let mut info = json!({ "title": title, "version": version.unwrap_or("all") });
    if let Some(d) = &c.docs.description {
        info["description"] = json!(d);
    }
    let doc = json!({
        "openapi": "3.1.0",
        "info": info,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": responses,
            "securitySchemes": schemes,
            "headers": {
                "RateLimit": { "description": "Remaining quota per limit (IETF RateLimit fields).", "schema": { "type": "string" } },
                "RateLimit-Policy": { "description": "The limits that apply (IETF RateLimit fields).", "schema": { "type": "string" } },
                "Retry-After": { "description": "Seconds until a retry may succeed.", "schema": { "type": "integer" } },
                "Deprecation": { "description": "When the route was deprecated (RFC 9745).", "schema": { "type": "string" } },
                "Sunset": { "description": "When the route stops answering (RFC 8594).", "schema": { "type": "string" } },
            },
        },
    });
    (doc, sunsetting)
}

/// Another route on an operation's path and method, taken only with its Host or `match`
/// conditions: its id and what a request needs to reach it.
fn variant(r: &CheckedRoute) -> Value {
    let mut v = json!({ "operationId": r.id });
    if let Some(h) = &r.host {
        v["host"] = json!(h);
    }
    let pick = |header: bool| -> Map<String, Value> {
        r.conditions
            .iter()
            .filter_map(|c| match (c, header) {
                (Condition::Header(n, val), true) | (Condition::Query(n, val), false) => {
                    Some((n.clone(), json!(val)))
                }
                _ => None,
            })
            .collect()
    };
    for (key, header) in [("headers", true), ("query", false)] {
        let m = pick(header);
        if !m.is_empty() {
            v[key] = Value::Object(m);
        }
    }
    if let Some(s) = &r.summary {
        v["summary"] = json!(s);
    }
    v
}

/// What an operation becomes from its sunset on: a `x-gatehouse-retired-<method>` member of
/// its path item (so tools no longer see an operation), deprecated, answering only 410.
fn retired_operation(live: &Value, sunset_s: i64, r: &CheckedRoute) -> Value {
    let mut description = format!(
        "Retired on {}: every request answers 410 Gone (`api-sunset`) without reaching the upstream.",
        imf_fixdate(sunset_s)
    );
    if let Some(next) = &r.lifecycle.successor {
        description.push_str(&format!(
            " The `Link` header names its successor in `{next}`."
        ));
    }
    let mut op = json!({
        "operationId": live["operationId"],
        "deprecated": true,
        "description": description,
        "x-sunset": imf_fixdate(sunset_s),
        "responses": { "410": { "$ref": "#/components/responses/Gone" } },
    });
    for key in ["summary", "tags", "parameters"] {
        if let Some(v) = live.get(key) {
            op[key] = v.clone();
        }
    }
    op
}

/// The largest integer a 64-bit float holds exactly. The gateway refuses a JSON body holding a
/// number whose literal is not a float's exact shortest form (`src/json_text.rs`, 400), so the
/// documents bound every number a JSON body may carry by it.
const EXACT: i64 = 9_007_199_254_740_991;

/// Any JSON value, with the numbers the gateway reads exactly.
fn json_value_schema() -> Value {
    json!({
        "description": "Any JSON value. Numbers stay within -(2^53 - 1) to 2^53 - 1: the gateway refuses (400) a number a 64-bit float does not hold exactly.",
        "type": ["null", "boolean", "string", "number", "array", "object"],
        "minimum": -EXACT,
        "maximum": EXACT,
        "items": { "$ref": "#/components/schemas/JsonValue" },
        "additionalProperties": { "$ref": "#/components/schemas/JsonValue" },
    })
}

/// Bounds every number in the schemas under `v` by [`EXACT`], and gives objects and arrays
/// that leave their (other) members open [`json_value_schema`]'s members.
fn exact_numbers(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let types: Vec<String> = match map.get("type") {
                Some(Value::String(t)) => vec![t.clone()],
                Some(Value::Array(l)) => l
                    .iter()
                    .filter_map(|t| t.as_str().map(String::from))
                    .collect(),
                _ => Vec::new(),
            };
            let has = |t: &str| types.iter().any(|x| x == t);
            if has("integer") || has("number") {
                let lowest = map
                    .get("minimum")
                    .and_then(Value::as_f64)
                    .unwrap_or(f64::MIN);
                if lowest < -(EXACT as f64) {
                    map.insert("minimum".into(), json!(-EXACT));
                }
                let highest = map
                    .get("maximum")
                    .and_then(Value::as_f64)
                    .unwrap_or(f64::MAX);
                if highest > EXACT as f64 {
                    map.insert("maximum".into(), json!(EXACT));
                }
            }
            let any = json!({ "$ref": "#/components/schemas/JsonValue" });
            let open_members = ![
                "additionalProperties",
                "patternProperties",
                "unevaluatedProperties",
            ]
            .iter()
            .any(|k| map.contains_key(*k));
            if (has("object") || map.contains_key("properties")) && open_members {
                map.insert("additionalProperties".into(), any.clone());
            }
            if has("array") && !map.contains_key("items") {
                map.insert("items".into(), any);
            }
            for (k, child) in map.iter_mut() {
                if !matches!(
                    k.as_str(),
                    "const" | "enum" | "default" | "examples" | "example"
                ) {
                    exact_numbers(child);
                }
            }
        }
        Value::Array(list) => list.iter_mut().for_each(exact_numbers),
        _ => {}
    }
}

/// A path parameter's schema: a string the path normalisation accepts as one segment.
fn string_parameter(pattern: &str) -> Value {
    json!({ "type": "string", "minLength": 1, "pattern": pattern })
}

/// A typed path parameter's schema (gRPC, GraphQL): a string one keeps the pattern.
fn typed_parameter(mut schema: Value, pattern: &str) -> Value {
    if schema["type"] == json!("string") {
        schema["minLength"] = json!(1);
        schema["pattern"] = json!(pattern);
    }
    schema
}

/// matchit's `{*rest}` is OpenAPI's `{rest}`.
fn openapi_path(path: &str) -> String {
    path.replace("{*", "{")
}

fn path_params(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|p| {
            p.split_once('}')
                .map(|(n, _)| n.trim_start_matches('*').to_string())
        })
        .collect()
}

/// A policy's security scheme name in `components.securitySchemes`.
fn scheme_name(policy: &str) -> String {
    policy.replace(['#', '.'], "_")
}

fn operation(
    c: &Checked,
    r: &CheckedRoute,
    method: &str,
    schemes: &mut Map<String, Value>,
    schemas: &mut Map<String, Value>,
) -> Value {
    let several = r.methods.iter().filter(|m| *m != "HEAD").count() > 1;
    let mut op = json!({
        "operationId": if several { format!("{}.{}", r.id, method.to_ascii_lowercase()) } else { r.id.clone() },
    });
    if let Some(s) = &r.summary {
        op["summary"] = json!(s);
    }
    if let Some(d) = &r.description {
        op["description"] = json!(d);
    }
    if !r.tags.is_empty() {
        op["tags"] = json!(r.tags);
    }
    let pattern = gatehouse_shared::path_param::pattern(
        r.allow_double_encoding,
        r.grpc.is_some() || r.graphql.is_some(),
    );
    let mut parameters: Vec<Value> = path_params(&r.path)
        .into_iter()
        .map(|name| {
            let mut p = json!({ "name": name, "in": "path", "required": true, "schema": string_parameter(&pattern) });
            if r.path.contains(&format!("{{*{name}}}")) {
                p["description"] = json!("The rest of the path. Several segments may be sent with `/` between them, which OpenAPI cannot describe (an encoded `%2F` is refused).");
            }
            p
        })
        .collect();
    // `match` conditions: the route is taken only with each of them.
    for cond in &r.conditions {
        let (name, value, place) = match cond {
            Condition::Header(n, v) => (n, v, "header"),
            Condition::Query(n, v) => (n, v, "query"),
        };
        parameters.push(json!({
            "name": name, "in": place, "required": true,
            "description": "The route is taken only with this value (its `match` condition).",
            "schema": { "type": "string", "const": value },
        }));
    }
    if let Some(i) = r.query_schema {
        let s = &c.schemas[i];
        let required: Vec<&str> = s
            .json
            .get("required")
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let name = component(s, schemas);
        for (p, _) in &s.root_properties {
            parameters.push(json!({
                "name": p, "in": "query", "required": required.contains(&p.as_str()),
                "schema": { "$ref": format!("#/components/schemas/{name}/properties/{}", p.replace('~', "~0").replace('/', "~1")) },
            }));
        }
    }
    // A gRPC route: typed path parameters, the message's other scalar fields as query
    // parameters, the message (or its `body` field) as the body, and the answer's schema.
    let grpc = r.grpc.as_ref().map(|call| {
        super::openapi_proto::grpc_operation(
            &c.protos,
            call,
            &path_params(&r.path),
            method,
            schemas,
        )
    });
    if let Some(g) = &grpc {
        for (name, schema) in &g.path_types {
            if let Some(p) = parameters.iter_mut().find(|p| p["name"] == json!(name)) {
                p["schema"] = typed_parameter(schema.clone(), &pattern);
            }
        }
        parameters.extend(g.query.iter().cloned());
        if let Some(body) = &g.body {
            op["requestBody"] =
                json!({ "required": true, "content": { "application/json": { "schema": body } } });
        }
    }
    // A stored GraphQL operation: its variables are the path and query parameters (typed by
    // their declarations) and the JSON body's members.
    if let Some(call) = &r.graphql {
        let path = path_params(&r.path);
        let mut body = Map::new();
        let mut required: Vec<String> = Vec::new();
        for v in call
            .variables
            .iter()
            .filter(|v| !call.claims.iter().any(|(n, _)| *n == v.name))
        {
            let one = match v.scalar {
                crate::table::graphql::Scalar::Int => {
                    json!({ "type": "integer", "format": "int32", "minimum": i32::MIN, "maximum": i32::MAX })
                }
                crate::table::graphql::Scalar::Float => json!({ "type": "number" }),
                crate::table::graphql::Scalar::Boolean => json!({ "type": "boolean" }),
                crate::table::graphql::Scalar::Text => json!({ "type": "string" }),
            };
            let schema = if v.list {
                json!({ "type": "array", "items": one })
            } else {
                one
            };
            if path.iter().any(|p| p == v.name) {
                if let Some(p) = parameters.iter_mut().find(|p| p["name"] == json!(v.name)) {
                    p["schema"] = typed_parameter(schema, &pattern);
                }
            } else if matches!(method, "POST" | "PUT" | "PATCH") {
                if v.required {
                    required.push(v.name.to_string());
                }
                body.insert(v.name.to_string(), schema);
            } else {
                parameters.push(json!({ "name": v.name, "in": "query", "required": v.required, "schema": schema }));
            }
        }
        if matches!(method, "POST" | "PUT" | "PATCH") {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": body, "required": required, "additionalProperties": false } } } });
        }
    }
    // A GraphQL endpoint (a `graphql` policy in the chain): GraphQL over HTTP's request, the
    // `query` parameter on GET, a JSON body on POST.
    let graphql_endpoint = r.graphql.is_none()
        && c.default_policies
            .iter()
            .chain(&r.policies)
            .any(|&i| matches!(c.policies[i].settings, Settings::Graphql(_)));
    if graphql_endpoint {
        let text = json!({ "type": "string", "minLength": 1 });
        if method == "GET" {
            parameters.push(json!({ "name": "query", "in": "query", "required": true, "description": "The GraphQL operation.", "schema": text }));
            parameters.push(json!({ "name": "operationName", "in": "query", "required": false, "schema": { "type": "string" } }));
            parameters.push(json!({ "name": "variables", "in": "query", "required": false, "content": { "application/json": { "schema": { "type": "object" } } } }));
        } else {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": {
                "type": "object", "required": ["query"],
                "properties": { "query": text, "operationName": { "type": "string" }, "variables": { "type": "object" } },
            } } } });
        }
    }
    if !parameters.is_empty() {
        op["parameters"] = json!(parameters);
    }
    // An llm route: OpenAI's request for its endpoint, what every provider it reaches accepts.
    let llm =
        c.default_policies
            .iter()
            .chain(&r.policies)
            .find_map(|&i| match &c.policies[i].settings {
                Settings::Llm(l) => Some(l),
                _ => None,
            });
    let endpoint = super::openapi_llm::Endpoint::of_path(&r.path);
    if let Some(l) = llm {
        op["requestBody"] = super::openapi_llm::request_body(c, l, endpoint);
        schemas
            .entry(super::openapi_llm::ERROR_SCHEMA)
            .or_insert_with(super::openapi_llm::error_schema);
    }
    // A transform that edits the request's JSON body refuses any other body (415).
    let edits_body = c.default_policies.iter().chain(&r.policies).any(
        |&i| matches!(&c.policies[i].settings, Settings::Transform(t) if t.edits_request_body()),
    );
    if edits_body && matches!(method, "POST" | "PUT" | "PATCH") && op.get("requestBody").is_none() {
        op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object" } } } });
    }
    // A route that names the body's media types takes a body of one of them.
    if let (Some(types), "POST" | "PUT" | "PATCH", None) =
        (&r.limits.content_types, method, op.get("requestBody"))
    {
        let content: Map<String, Value> = types.iter().map(|t| (t.clone(), json!({}))).collect();
        op["requestBody"] = json!({ "required": true, "content": content });
    }
    if let (Some(i), "POST" | "PUT" | "PATCH") = (r.body_schema, method) {
        let name = component(&c.schemas[i], schemas);
        op["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}") } } },
        });
    }
    // Security: every authentication policy in the chain must pass (one requirement object);
    // `any` offers alternatives (one object per member).
    let chain: Vec<usize> = c
        .default_policies
        .iter()
        .chain(&r.policies)
        .copied()
        .collect();
    let scopes: Vec<String> = chain
        .iter()
        .filter_map(|&i| match &c.policies[i].settings {
            Settings::Require(req) => Some(
                req.scopes
                    .iter()
                    .chain(&req.any_scopes)
                    .cloned()
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    let mut requirements: Vec<Map<String, Value>> = vec![Map::new()];
    let mut limited = Vec::new();
    for &i in &chain {
        let p = &c.policies[i];
        match &p.settings {
            Settings::Any(_) => {
                let alternatives: Vec<String> = p
                    .members
                    .iter()
                    .filter_map(|&m| scheme(&c.policies[m].name, &c.policies[m].settings, schemes))
                    .collect();
                requirements = requirements
                    .iter()
                    .flat_map(|req| {
                        alternatives.iter().map(move |name| {
                            let mut req = req.clone();
                            req.insert(name.clone(), json!([]));
                            req
                        })
                    })
                    .collect();
            }
            Settings::RateLimit(rl) => limited.push(rl),
            settings => {
                if let Some(name) = scheme(&p.name, settings, schemes) {
                    let given = if matches!(settings, Settings::Jwt(_)) {
                        json!(scopes)
                    } else {
                        json!([])
                    };
                    for req in &mut requirements {
                        req.insert(name.clone(), given.clone());
                    }
                }
            }
        }
    }
    let secured = requirements.iter().any(|r| !r.is_empty());
    if secured {
        op["security"] = json!(requirements);
    }
    let mut responses = Map::new();
    let mut ok = json!({ "description": "The upstream's answer." });
    let mut headers = Map::new();
    if !limited.is_empty() {
        headers.insert(
            "RateLimit".into(),
            json!({ "$ref": "#/components/headers/RateLimit" }),
        );
        headers.insert(
            "RateLimit-Policy".into(),
            json!({ "$ref": "#/components/headers/RateLimit-Policy" }),
        );
    }
    // `x-gatehouse-auth`, `x-gatehouse-rate-limits`, `x-gatehouse-successor`.
    super::openapi_ext::extend(c, r, method, &mut op);
    let life = &r.lifecycle;
    if life.deprecated_s.is_some() {
        op["deprecated"] = json!(true);
        headers.insert(
            "Deprecation".into(),
            json!({ "$ref": "#/components/headers/Deprecation" }),
        );
    }
    if let Some(s) = life.sunset_s {
        op["x-sunset"] = json!(imf_fixdate(s));
        headers.insert(
            "Sunset".into(),
            json!({ "$ref": "#/components/headers/Sunset" }),
        );
    }
    if !headers.is_empty() {
        ok["headers"] = Value::Object(headers);
    }
    if let Some(g) = grpc {
        responses.insert(
            "200".into(),
            json!({ "description": "The method's answer, as proto3 JSON.", "content": g.answer }),
        );
    }
    if r.graphql.is_some() {
        responses.insert(
            "200".into(),
            json!({ "description": "The operation's `data`.", "content": { "application/json": { "schema": { "type": "object" } } } }),
        );
    }
    if llm.is_some() {
        // The answer is OpenAI's whichever provider gave it; other statuses are the gateway's
        // problems or a provider's own refusal, relayed.
        let mut headers = ok.get("headers").cloned().unwrap_or_else(|| json!({}));
        if let (Some(h), Value::Object(more)) = (
            headers.as_object_mut(),
            super::openapi_llm::answer_headers(),
        ) {
            h.extend(more);
        }
        responses.insert(
            "200".into(),
            json!({
                "description": "The provider's answer in OpenAI's shape.",
                "headers": headers,
                "content": super::openapi_llm::answer_content(endpoint),
            }),
        );
        responses.insert("default".into(), super::openapi_llm::provider_refusal());
    } else {
        responses.insert("default".into(), ok);
    }
    let mut applies = vec![400, 404, 405, 414, 431, 502, 503, 504];
    if llm.is_some() {
        // 413 past the plan's max_prompt, 415 for a body that is not JSON, 429 from a token
        // limit or when every provider is rate limited.
        applies.extend([413, 415, 429]);
    }
    if secured {
        applies.extend([401, 403]);
    }
    if !limited.is_empty() {
        applies.push(429);
    }
    if life.sunset_s.is_some() {
        applies.push(410);
    }
    if r.limits.max_body.is_some() || r.body_schema.is_some() {
        applies.push(413);
    }
    // A byte limit a JSON Schema cannot say: clients (and the conformance check) read it here.
    if let Some(max) = r.limits.max_body {
        op["x-gatehouse-max-body"] = json!(max);
    }
    if r.limits.content_types.is_some() || r.body_schema.is_some() || edits_body || graphql_endpoint
    {
        applies.push(415);
    }
    if r.body_schema.is_some() || r.query_schema.is_some() {
        applies.push(422);
    }
    applies.sort_unstable();
    applies.dedup();
    for (status, name, _) in PROBLEMS.iter().filter(|(s, _, _)| applies.contains(s)) {
        responses.insert(
            status.to_string(),
            json!({ "$ref": format!("#/components/responses/{name}") }),
        );
    }
    if llm.is_some() {
        responses.insert("400".into(), super::openapi_llm::bad_request());
    }
    op["responses"] = Value::Object(responses);
    exact_numbers(&mut op);
    op
}

/// Adds the security scheme of an authentication policy; its name, or `None` for others.
fn scheme(policy: &str, settings: &Settings, schemes: &mut Map<String, Value>) -> Option<String> {
    let value = match settings {
        Settings::Jwt(j) => {
            let mut s = json!({ "type": "http", "scheme": "bearer", "bearerFormat": "JWT" });
            let mut also = Vec::new();
            if let Some(c) = &j.spec.cookie {
                also.push(format!("the `{c}` cookie"));
            }
            if let Some(q) = &j.spec.query {
                also.push(format!("the `{q}` query parameter"));
            }
            if !also.is_empty() {
                s["description"] = json!(format!("Also accepted in {}.", also.join(" or ")));
            }
            s
        }
        Settings::ApiKey(a) if a.spec.bearer => json!({
            "type": "http", "scheme": "bearer",
            "description": "An API key (not a JWT), sent as `Authorization: Bearer <key>`.",
        }),
        Settings::ApiKey(a) => match (&a.spec.header, &a.spec.query) {
            (Some(h), _) => json!({ "type": "apiKey", "in": "header", "name": h }),
            (None, Some(q)) => json!({ "type": "apiKey", "in": "query", "name": q }),
            (None, None) => json!({ "type": "apiKey", "in": "header", "name": "x-api-key" }),
        },
        Settings::Mtls(_) => json!({ "type": "mutualTLS" }),
        _ => return None,
    };
    let name = scheme_name(policy);
    schemes.insert(name.clone(), value);
    Some(name)
}

/// Puts a schema file into `components.schemas` (named after its file), with its local
/// `$ref`s rewritten to point there; its name.
fn component(s: &super::json_schema::CompiledSchema, schemas: &mut Map<String, Value>) -> String {
    let name = s
        .file
        .trim_start_matches("routes/schemas/")
        .trim_end_matches(".json")
        .replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-',
            "_",
        );
    if !schemas.contains_key(&name) {
        let mut json = s.json.clone();
        if let Some(o) = json.as_object_mut() {
            o.remove("$schema");
            o.remove("$id");
        }
        rebase(&mut json, &format!("#/components/schemas/{name}"));
        schemas.insert(name.clone(), json);
    }
    name
}

fn rebase(v: &mut Value, base: &str) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                match (k.as_str(), child) {
                    ("$ref", Value::String(r)) if r.starts_with('#') => {
                        *r = format!("{base}{}", &r[1..]);
                    }
                    (_, child) => rebase(child, base),
                }
            }
        }
        Value::Array(list) => list.iter_mut().for_each(|c| rebase(c, base)),
        _ => {}
    }
}

/// RFC 9457 problem details, as Gatehouse writes them.
fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status"],
        "properties": {
            "type": { "type": "string", "format": "uri-reference", "examples": ["urn:gatehouse:problem:rate-limited"] },
            "title": { "type": "string" },
            "status": { "type": "integer", "minimum": 100, "maximum": 599 },
            "detail": { "type": "string" },
            "instance": { "type": "string" },
            "request_id": { "type": "string" },
            "errors": {
                "type": "array",
                "description": "validation-failed only: each failure.",
                "items": {
                    "type": "object",
                    "properties": { "pointer": { "type": "string", "description": "JSON Pointer (RFC 6901) of the failing value." }, "detail": { "type": "string" } },
                    "required": ["pointer", "detail"],
                },
            },
        },
    })
}

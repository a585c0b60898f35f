//! What the OpenAPI document says about LLM routes (`kind = "llm"`): an API key sent as
//! `Authorization: Bearer` is an HTTP bearer scheme; the request body is OpenAI's, with the
//! aliases as `model` and only what every provider the aliases reach accepts (checked here
//! against the gateway's own request checks and each provider's translation); the answers
//! are OpenAI's JSON or event stream and the gateway's problems; token limits say their unit.
#![cfg(not(target_arch = "wasm32"))]

use gatehouse_config as checker;

use checker::check::{check, SourceFile};
use checker::openapi::document;
use gatehouse_llm::Wire;
use serde_json::{json, Value};

const GATEWAY: &str = r#"
[gateway]
plans = ["free", "gold"]

[upstreams.openai]
provider = "openai"
key = "${OPENAI_KEY}"

[upstreams.anthropic]
provider = "anthropic"
key = "${ANTHROPIC_KEY}"

[upstreams.edge]
provider = "workers-ai"
binding = "AI"

[policies.ai-key]
kind = "api_key"
bearer = true
store = "API_KEYS"

[policies.ai-tokens]
kind = "rate_limit"
unit = "tokens"
key = "consumer"
limits = [{ name = "tokens", limit = 2000, per = "day" }]

[policies.per-minute]
kind = "rate_limit"
key = "consumer"
limits = [{ name = "requests", limit = 60, window = "1m" }]

# Every kind of provider: the document holds what all of them accept.
[policies.mixed]
kind = "llm"
models.gpt = [{ provider = "openai", model = "gpt-4o-mini" }]
models.fast = [{ provider = "openai", model = "gpt-4o-mini" }, { provider = "anthropic", model = "claude-haiku" }]
models.claude = [{ provider = "anthropic", model = "claude-haiku" }]
models.edge = [{ provider = "edge", model = "@cf/baai/bge-small-en-v1.5" }]
max_tokens = 300

# OpenAI only: nothing narrows OpenAI's own ranges.
[policies.openai-only]
kind = "llm"
models.gpt = [{ provider = "openai", model = "gpt-4o-mini" }]
"#;

const ROUTES: &str = r#"
[[route]]
id = "chat"
methods = ["POST"]
path = "/chat/completions"
policies = ["ai-key", "per-minute", "ai-tokens", "mixed"]

[[route]]
id = "embeddings"
methods = ["POST"]
path = "/embeddings"
policies = ["ai-key", "mixed"]

[[route]]
id = "gpt-chat"
methods = ["POST"]
path = "/gpt/chat/completions"
policies = ["openai-only"]
"#;

fn doc() -> Value {
    let c = check(&[
        SourceFile {
            path: "routes/gateway.toml".into(),
            text: GATEWAY.into(),
        },
        SourceFile {
            path: "routes/v1/ai.toml".into(),
            text: ROUTES.into(),
        },
    ])
    .unwrap_or_else(|e| panic!("the routes check: {e:?}"));
    document(&c, None)
}

fn op<'a>(doc: &'a Value, path: &str) -> &'a Value {
    &doc["paths"][path]["post"]
}

fn body_schema<'a>(doc: &'a Value, path: &str) -> &'a Value {
    &op(doc, path)["requestBody"]["content"]["application/json"]["schema"]
}

/// Whether `body` is valid against the request schema of `path` (with the document's
/// components, so `$ref`s resolve).
fn valid(doc: &Value, path: &str, body: &Value) -> bool {
    let mut schema = body_schema(doc, path).clone();
    schema["components"] = doc["components"].clone();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .expect("the request schema compiles");
    validator.is_valid(body)
}

/// Whether the gateway accepts a chat body and every provider wire translates it.
fn chat_accepted_everywhere(body: &Value) -> Result<(), String> {
    let text = body.to_string();
    let chat = gatehouse_llm::parse_chat(text.as_bytes()).map_err(|e| e.message)?;
    for wire in [Wire::OpenAi, Wire::Anthropic, Wire::WorkersAi] {
        chat.provider_body(wire, "m", 16)
            .map_err(|e| format!("{wire:?}: {}", e.message))?;
    }
    Ok(())
}

#[test]
fn an_api_key_sent_as_bearer_is_an_http_bearer_scheme_read_from_authorization() {
    let d = doc();
    let scheme = &d["components"]["securitySchemes"]["ai-key"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(scheme.get("in"), None);
    assert_eq!(scheme.get("bearerFormat"), None, "a key, not a JWT");
    let chat = op(&d, "/v1/chat/completions");
    assert_eq!(chat["security"], json!([{ "ai-key": [] }]));
    assert_eq!(
        chat["x-gatehouse-auth"]["credentials"],
        json!([[{ "policy": "ai-key", "kind": "api_key", "header": "authorization", "bearer": true }]])
    );
}

#[test]
fn the_chat_body_is_openai_s_request_with_the_aliases_as_the_model_enum() {
    let d = doc();
    let s = body_schema(&d, "/v1/chat/completions");
    assert_eq!(
        op(&d, "/v1/chat/completions")["requestBody"]["required"],
        true
    );
    assert_eq!(s["required"], json!(["model", "messages"]));
    assert_eq!(s["additionalProperties"], false);
    assert_eq!(
        s["properties"]["model"]["enum"],
        json!(["claude", "edge", "fast", "gpt"])
    );
    assert_eq!(s["properties"]["stream"]["type"], "boolean");
    assert_eq!(s["properties"]["max_tokens"]["minimum"], 1);
    let cap = s["properties"]["max_tokens"]["description"]
        .as_str()
        .unwrap();
    assert!(cap.contains("At most 300"), "{cap}");
    assert_eq!(s["properties"]["messages"]["minItems"], 1);
}

#[test]
fn providers_narrow_the_chat_body_to_what_each_accepts() {
    let d = doc();
    let mixed = &body_schema(&d, "/v1/chat/completions")["properties"];
    assert_eq!(mixed["temperature"]["maximum"], 1, "Anthropic takes 0 to 1");
    assert_eq!(
        mixed.get("frequency_penalty"),
        None,
        "Anthropic refuses penalties"
    );
    assert_eq!(mixed.get("stop"), None, "Workers AI refuses stop");
    assert!(mixed["messages"].get("contains").is_some());
    let openai = &body_schema(&d, "/v1/gpt/chat/completions")["properties"];
    assert_eq!(openai["temperature"]["maximum"], 2);
    assert_eq!(openai["presence_penalty"]["minimum"], -2);
    assert!(openai.get("stop").is_some());
    assert_eq!(openai["messages"].get("contains"), None);
}

#[test]
fn schema_valid_chat_bodies_pass_the_gateway_and_every_provider_s_translation() {
    let d = doc();
    let path = "/v1/chat/completions";
    let bodies = [
        json!({ "model": "fast", "messages": [{ "role": "user", "content": "Hi" }] }),
        json!({ "model": "claude", "stream": true, "stream_options": { "include_usage": true }, "max_tokens": 999999,
                "temperature": 1, "top_p": 0.5, "user": "u1",
                "messages": [{ "role": "system", "content": [{ "type": "text", "text": "Be brief" }] },
                             { "role": "developer", "content": "x" }, { "role": "assistant", "content": " ok" }] }),
    ];
    for body in &bodies {
        assert!(valid(&d, path, body), "schema-valid: {body}");
        chat_accepted_everywhere(body).unwrap_or_else(|e| panic!("{body}: {e}"));
    }
}

#[test]
fn chat_bodies_some_provider_refuses_are_not_schema_valid() {
    let d = doc();
    let path = "/v1/chat/completions";
    let refused = [
        json!({ "model": "fast", "messages": [{ "role": "system", "content": "only a system turn" }] }),
        json!({ "model": "fast", "temperature": 1.5, "messages": [{ "role": "user", "content": "Hi" }] }),
        json!({ "model": "fast", "stop": "x", "messages": [{ "role": "user", "content": "Hi" }] }),
        json!({ "model": "fast", "messages": [{ "role": "user", "content": "" }] }),
        json!({ "model": "fast", "messages": [{ "role": "user", "content": [] }] }),
        json!({ "model": "fast", "frequency_penalty": 1, "messages": [{ "role": "user", "content": "Hi" }] }),
    ];
    for body in &refused {
        assert!(
            chat_accepted_everywhere(body).is_err(),
            "some provider refuses {body}"
        );
        assert!(!valid(&d, path, body), "not schema-valid: {body}");
    }
    let unknown = json!({ "model": "gpt-5", "messages": [{ "role": "user", "content": "Hi" }] });
    assert!(
        !valid(&d, path, &unknown),
        "a model that is no alias is refused (400)"
    );
}

#[test]
fn embeddings_offer_only_aliases_whose_every_provider_embeds() {
    let d = doc();
    let s = body_schema(&d, "/v1/embeddings");
    assert_eq!(s["required"], json!(["model", "input"]));
    assert_eq!(s["properties"]["model"]["enum"], json!(["edge", "gpt"]));
    assert_eq!(
        s["properties"]["encoding_format"]["enum"],
        json!(["float"]),
        "Workers AI answers floats only"
    );
    for (body, ok) in [
        (json!({ "model": "gpt", "input": "one" }), true),
        (json!({ "model": "edge", "input": ["one", "two"] }), true),
        (json!({ "model": "fast", "input": "one" }), false),
        (json!({ "model": "gpt", "input": [] }), false),
        (json!({ "model": "gpt", "input": [1, 2, 3] }), false),
    ] {
        assert_eq!(valid(&d, "/v1/embeddings", &body), ok, "{body}");
        if ok {
            let text = body.to_string();
            let e =
                gatehouse_llm::parse_embeddings(text.as_bytes()).expect("the gateway accepts it");
            for wire in [Wire::OpenAi, Wire::WorkersAi] {
                e.provider_body(wire, "m")
                    .unwrap_or_else(|err| panic!("{wire:?} refuses {body}: {}", err.message));
            }
        }
    }
}

#[test]
fn chat_answers_are_openai_json_or_an_event_stream_and_the_refusals_are_listed() {
    let d = doc();
    let responses = &op(&d, "/v1/chat/completions")["responses"];
    let ok = &responses["200"]["content"];
    assert_eq!(
        ok["application/json"]["schema"]["properties"]["object"]["const"],
        "chat.completion"
    );
    assert_eq!(ok["text/event-stream"]["schema"]["type"], "string");
    assert!(responses["200"]["headers"]
        .get("X-Gatehouse-Provider")
        .is_some());
    assert!(responses["200"]["headers"].get("RateLimit").is_some());
    let bad = &responses["400"]["content"];
    assert!(bad.get("application/problem+json").is_some());
    assert_eq!(
        bad["application/json"]["schema"]["$ref"],
        "#/components/schemas/LlmError"
    );
    for status in ["401", "403", "413", "415", "429", "502", "503", "504"] {
        assert!(responses.get(status).is_some(), "{status}");
    }
    assert!(d["components"]["schemas"]["LlmError"]["properties"]["error"].is_object());
    let embeddings = &op(&d, "/v1/embeddings")["responses"]["200"]["content"];
    assert_eq!(embeddings.as_object().unwrap().len(), 1);
    assert_eq!(
        embeddings["application/json"]["schema"]["properties"]["object"]["const"],
        "list"
    );
}

#[test]
fn rate_limits_say_whether_they_count_tokens_or_requests() {
    let d = doc();
    let limits = &op(&d, "/v1/chat/completions")["x-gatehouse-rate-limits"];
    let units: Vec<(&str, &str)> = limits
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].as_str().unwrap(), l["unit"].as_str().unwrap()))
        .collect();
    assert_eq!(units, [("requests", "requests"), ("tokens", "tokens")]);
}

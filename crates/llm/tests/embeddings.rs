//! Embeddings requests and answers.

use gatehouse_llm::{embeddings_answer, parse_embeddings, Usage, Wire};
use serde_json::{json, Value};

#[test]
fn parse_counts_inputs_and_characters_for_each_input_form() {
    let e = parse_embeddings("{\"model\":\"emb\",\"input\":\"héllo\"}".as_bytes()).unwrap();
    assert_eq!(
        (e.model.as_str(), e.input_count, e.input_chars),
        ("emb", 1, 5)
    );
    let e = parse_embeddings(br#"{"model":"emb","input":["ab","cde"]}"#).unwrap();
    assert_eq!(
        (e.input_count, e.input_chars, e.estimated_tokens()),
        (2, 5, 2)
    );
    let e = parse_embeddings(br#"{"model":"emb","input":[1,2,3]}"#).unwrap();
    assert_eq!((e.input_count, e.estimated_tokens()), (1, 3));
    let e = parse_embeddings(br#"{"model":"emb","input":[[1,2],[3]]}"#).unwrap();
    assert_eq!((e.input_count, e.estimated_tokens()), (2, 3));
}

#[test]
fn bad_embeddings_requests_are_400s_naming_the_field() {
    for (body, param) in [
        (json!({"input": "x"}), Some("model")),
        (json!({"model": "e"}), Some("input")),
        (json!({"model": "e", "input": ""}), Some("input")),
        (json!({"model": "e", "input": []}), Some("input")),
        (json!({"model": "e", "input": ["a", 1]}), Some("input")),
        (json!({"model": "e", "input": [[1], []]}), Some("input")),
        (json!({"model": "e", "input": [-1]}), Some("input")),
        (
            json!({"model": "e", "input": vec!["a"; 2049]}),
            Some("input"),
        ),
        (
            json!({"model": "e", "input": "a", "encoding_format": "hex"}),
            Some("encoding_format"),
        ),
        (
            json!({"model": "e", "input": "a", "dimensions": 0}),
            Some("dimensions"),
        ),
        (json!(["model"]), None),
    ] {
        let e = parse_embeddings(body.to_string().as_bytes()).expect_err(&body.to_string());
        assert_eq!((e.status, e.param), (400, param), "{body}");
    }
}

#[test]
fn provider_bodies_for_each_wire() {
    let e = parse_embeddings(br#"{"model":"emb","input":"hi","user":"u"}"#).unwrap();
    let openai: Value = serde_json::from_str(
        &e.provider_body(Wire::OpenAi, "text-embedding-3-small")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        openai,
        json!({"model": "text-embedding-3-small", "input": "hi", "user": "u"})
    );
    let workers: Value = serde_json::from_str(
        &e.provider_body(Wire::WorkersAi, "@cf/baai/bge-small-en-v1.5")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(workers, json!({"text": ["hi"]}));
    let err = e.provider_body(Wire::Anthropic, "x").unwrap_err();
    assert_eq!(err.status, 400);
    assert!(err.message.contains("no embeddings"));
    let tokens = parse_embeddings(br#"{"model":"emb","input":[1,2]}"#).unwrap();
    assert_eq!(
        tokens
            .provider_body(Wire::WorkersAi, "x")
            .unwrap_err()
            .param,
        Some("input")
    );
    let dims = parse_embeddings(br#"{"model":"emb","input":"a","dimensions":256}"#).unwrap();
    assert_eq!(
        dims.provider_body(Wire::WorkersAi, "x").unwrap_err().param,
        Some("dimensions")
    );
}

#[test]
fn workers_ai_embeddings_answer_becomes_openai_list() {
    let body = br#"{"shape":[2,3],"data":[[0.1,0.2,0.3],[0.4,0.5,0.6]],"pooling":"mean"}"#;
    let (text, usage) = embeddings_answer(Wire::WorkersAi, body, "alias").unwrap();
    let out: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        out,
        json!({"object": "list", "model": "alias", "usage": {"prompt_tokens": 0, "total_tokens": 0},
            "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}, {"object": "embedding", "index": 1, "embedding": [0.4, 0.5, 0.6]}]})
    );
    assert_eq!(usage, Usage::default());
    let wrapped = br#"{"result":{"shape":[1,1],"data":[[1.0]]},"success":true}"#;
    assert!(embeddings_answer(Wire::WorkersAi, wrapped, "alias").is_ok());
}

#[test]
fn openai_embeddings_answer_keeps_data_and_reads_usage() {
    let body = br#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}"#;
    let (text, usage) = embeddings_answer(Wire::OpenAi, body, "alias").unwrap();
    let out: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(out["model"], "alias");
    assert_eq!(out["data"][0]["embedding"], json!([0.5]));
    assert_eq!(
        usage,
        Usage {
            input: 8,
            output: 0
        }
    );
}

#[test]
fn embeddings_answers_not_in_shape_are_errors() {
    assert!(embeddings_answer(Wire::Anthropic, b"{}", "m").is_err());
    assert!(embeddings_answer(Wire::OpenAi, b"{\"object\":\"list\"}", "m").is_err());
    assert!(embeddings_answer(Wire::WorkersAi, b"{\"data\":[1,2]}", "m").is_err());
    assert!(embeddings_answer(Wire::WorkersAi, b"\xff", "m").is_err());
}

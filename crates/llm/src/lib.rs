//! The pure, I/O-free wire-format logic of Gatehouse's LLM routes.
//!
//! Clients speak OpenAI's `POST /v1/chat/completions` and `POST /v1/embeddings`; a provider
//! speaks one [`Wire`]. This crate checks a client's request ([`parse_chat`],
//! [`parse_embeddings`]), writes the body a provider of each wire expects
//! ([`Chat::provider_body`], [`Embeddings::provider_body`]), turns a provider's answer back into
//! OpenAI's shape ([`chat_answer`], [`embeddings_answer`], [`error_answer`]), relays a streamed
//! answer as it arrives ([`Relay`]) and prices the tokens used ([`cost_usd`]).
//!
//! Nothing here reads a clock, draws a random number or does I/O: answer ids and `created`
//! times are passed in, so the crate runs the same natively and in wasm32.
//!
//! ```
//! use gatehouse_llm::{parse_chat, Wire};
//!
//! let chat = parse_chat(br#"{"model":"fast","messages":[{"role":"user","content":"Hi"}]}"#).unwrap();
//! let body = chat.provider_body(Wire::Anthropic, "claude-sonnet-4-5", 256).unwrap();
//! assert!(body.contains(r#""max_tokens":256"#));
//! ```

mod anthropic;
mod canonical;
mod chat;
mod embeddings;
mod error;
mod fields;
mod relay;
mod sse;
mod usage;
mod wire;
mod workers_ai;

pub use chat::{chat_answer, parse_chat, Chat};
pub use embeddings::{embeddings_answer, parse_embeddings, Embeddings};
pub use error::{error_answer, ClientError};
pub use relay::{Relay, MAX_LINE_BYTES};
pub use usage::{cost_usd, Usage};
pub use wire::Wire;

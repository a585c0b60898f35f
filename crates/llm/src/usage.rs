//! Token usage and its price.

use serde_json::{json, Value};

/// Tokens an answer used.
#[derive(Default, Clone, Copy, Debug, PartialEq)]
pub struct Usage {
    /// Prompt tokens (for Anthropic: `input_tokens` plus cache-creation and cache-read tokens).
    pub input: u64,
    /// Completion tokens.
    pub output: u64,
}

impl Usage {
    /// `input + output`, saturating at `u64::MAX`.
    pub fn total(&self) -> u64 {
        self.input.saturating_add(self.output)
    }

    /// OpenAI's usage object: `{"prompt_tokens","completion_tokens","total_tokens"}`.
    pub(crate) fn to_openai(self) -> Value {
        json!({
            "prompt_tokens": self.input,
            "completion_tokens": self.output,
            "total_tokens": self.total(),
        })
    }

    /// Reads OpenAI's (and Workers AI's) `{"prompt_tokens","completion_tokens"}`; `None` when
    /// `value` is not an object. A missing or non-integer count reads as 0.
    pub(crate) fn from_openai(value: &Value) -> Option<Usage> {
        let usage = value.as_object()?;
        Some(Usage {
            input: count(usage.get("prompt_tokens")),
            output: count(usage.get("completion_tokens")),
        })
    }
}

/// A token count: a non-negative JSON integer, else 0.
pub(crate) fn count(value: Option<&Value>) -> u64 {
    value.and_then(Value::as_u64).unwrap_or(0)
}

/// Cost in USD of `usage` at per-million-token prices:
/// `(input * input_per_million + output * output_per_million) / 1_000_000`.
///
/// Prices are the caller's checked configuration; a negative or non-finite price gives a
/// negative or non-finite cost, which is the caller's to refuse.
pub fn cost_usd(usage: Usage, input_per_million: f64, output_per_million: f64) -> f64 {
    (usage.input as f64 * input_per_million + usage.output as f64 * output_per_million)
        / 1_000_000.0
}

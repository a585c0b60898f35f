//! The wire formats providers speak.

/// The wire format a provider speaks.
///
/// `openai` and `openai-compatible` providers both speak [`Wire::OpenAi`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// OpenAI's Chat Completions and Embeddings APIs (also any OpenAI-compatible server).
    OpenAi,
    /// Anthropic's Messages API (`POST /v1/messages`, `anthropic-version: 2023-06-01`).
    Anthropic,
    /// Cloudflare Workers AI's `env.AI.run(model, inputs)` binding.
    WorkersAi,
}

impl Wire {
    /// The wire a provider kind of the routes/ configuration speaks: `openai` and
    /// `openai-compatible` -> [`Wire::OpenAi`], `anthropic`, `workers-ai`; `None` for any other.
    pub fn for_provider(kind: &str) -> Option<Wire> {
        match kind {
            "openai" | "openai-compatible" => Some(Wire::OpenAi),
            "anthropic" => Some(Wire::Anthropic),
            "workers-ai" => Some(Wire::WorkersAi),
            _ => None,
        }
    }

    /// The name used in error messages: `openai`, `anthropic` or `workers-ai`.
    pub fn name(self) -> &'static str {
        match self {
            Wire::OpenAi => "openai",
            Wire::Anthropic => "anthropic",
            Wire::WorkersAi => "workers-ai",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_kinds_map_to_their_wire_and_unknown_kinds_to_none() {
        assert_eq!(Wire::for_provider("openai"), Some(Wire::OpenAi));
        assert_eq!(Wire::for_provider("openai-compatible"), Some(Wire::OpenAi));
        assert_eq!(Wire::for_provider("anthropic"), Some(Wire::Anthropic));
        assert_eq!(Wire::for_provider("workers-ai"), Some(Wire::WorkersAi));
        assert_eq!(Wire::for_provider("OpenAI"), None);
        assert_eq!(Wire::for_provider("gemini"), None);
    }
}

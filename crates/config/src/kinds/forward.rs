//! The `forward` map shared by the authentication kinds: identity field -> header.

use super::super::lex::is_token_byte;
use super::super::reserved::{GATEWAY_OWNED_HEADERS, HOP_BY_HOP_HEADERS};

/// A `forward` map: (identity field, lower-case header).
pub type Forward = Vec<(String, String)>;

/// Checks a `forward` map (field -> header) and returns it with lower-case header names.
pub fn check_forward(
    forward: &std::collections::BTreeMap<String, String>,
    fields: Option<&[&str]>,
    errors: &mut Vec<String>,
) -> Forward {
    let mut out = Vec::new();
    for (field, header) in forward {
        let lower = header.to_ascii_lowercase();
        if let Some(fields) = fields {
            if !fields.contains(&field.as_str()) {
                errors.push(format!(
                    "forward: unknown field \"{field}\" (use {})",
                    fields.join(", ")
                ));
            }
        }
        if header.is_empty() || !header.bytes().all(is_token_byte) {
            errors.push(format!("forward: \"{header}\" is not a valid header name"));
        } else if GATEWAY_OWNED_HEADERS.contains(&lower.as_str())
            || HOP_BY_HOP_HEADERS.contains(&lower.as_str())
            || ["authorization", "cookie", "host"].contains(&lower.as_str())
        {
            errors.push(format!(
                "forward: header \"{header}\" cannot carry identity"
            ));
        }
        out.push((field.clone(), lower));
    }
    out
}

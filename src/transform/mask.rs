//! Masking a value for a response: a string keeps its last `keep` characters and the rest
//! becomes `with`; a number is masked as its decimal text; anything else becomes null.

use serde_json::Value;

/// The masked value.
pub fn mask(value: &Value, keep: usize, with: char) -> Value {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Value::Null,
    };
    let count = text.chars().count();
    let hidden = count.saturating_sub(keep);
    let masked: String = std::iter::repeat_n(with, hidden)
        .chain(text.chars().skip(hidden))
        .collect();
    Value::String(masked)
}

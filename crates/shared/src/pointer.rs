//! JSON Pointer (RFC 6901) reads and edits on a `serde_json::Value`.
//!
//! `""` is the whole document; `/a/b/0` walks object members and array indices; `~1` is `/`
//! and `~0` is `~` inside a token. Setting creates missing parent objects; `-` appends to an
//! array. Array indices are decimal without leading zeros.

use serde_json::{Map, Value};

/// Why a pointer or an edit was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PointerError {
    /// Not empty and not starting with `/`, or a `~` not followed by `0` or `1`.
    Syntax(String),
    /// A token walks into a string, number, boolean or null, or is not an index of an array.
    NotAContainer(String),
}

/// The unescaped tokens of a pointer.
#[inline]
pub fn parse(pointer: &str) -> Result<Vec<String>, PointerError> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(PointerError::Syntax(format!(
            "\"{pointer}\" must be empty or start with /"
        )));
    };
    rest.split('/')
        .map(|token| {
            let mut out = String::with_capacity(token.len());
            let mut chars = token.chars();
            while let Some(c) = chars.next() {
                if c != '~' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('0') => out.push('~'),
                    Some('1') => out.push('/'),
                    _ => {
                        return Err(PointerError::Syntax(format!(
                            "\"{pointer}\": ~ must be followed by 0 or 1"
                        )))
                    }
                }
            }
            Ok(out)
        })
        .collect()
}

#[inline]
fn index(token: &str, len: usize) -> Option<usize> {
    let ok = !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_digit())
        && (token == "0" || !token.starts_with('0'));
    ok.then(|| token.parse::<usize>().ok())
        .flatten()
        .filter(|i| *i < len)
}

/// The value at `tokens`, if present.
#[inline]
pub fn get<'v>(doc: &'v Value, tokens: &[String]) -> Option<&'v Value> {
    tokens.iter().try_fold(doc, |v, t| match v {
        Value::Object(m) => m.get(t),
        Value::Array(a) => index(t, a.len()).map(|i| &a[i]),
        _ => None,
    })
}

/// Removes and returns the value at `tokens` (`None` when absent; the whole document cannot
/// be removed).
#[inline]
pub fn remove(doc: &mut Value, tokens: &[String]) -> Option<Value> {
    let (last, parents) = tokens.split_last()?;
    let parent = parents.iter().try_fold(doc, |v, t| match v {
        Value::Object(m) => m.get_mut(t),
        Value::Array(a) => {
            let len = a.len();
            index(t, len).map(move |i| &mut a[i])
        }
        _ => None,
    })?;
    match parent {
        Value::Object(m) => m.remove(last),
        Value::Array(a) => index(last, a.len()).map(|i| a.remove(i)),
        _ => None,
    }
}

/// Puts `value` at `tokens`, creating missing parent objects; `-` appends to an array, an
/// index replaces that element. An empty pointer replaces the whole document.
#[inline]
pub fn set(doc: &mut Value, tokens: &[String], value: Value) -> Result<(), PointerError> {
    let Some((last, parents)) = tokens.split_last() else {
        *doc = value;
        return Ok(());
    };
    let mut here = doc;
    for t in parents {
        here = match here {
            Value::Object(m) => m
                .entry(t.clone())
                .or_insert_with(|| Value::Object(Map::new())),
            Value::Array(a) => {
                let len = a.len();
                let i = index(t, len).ok_or_else(|| not_container(tokens))?;
                &mut a[i]
            }
            _ => return Err(not_container(tokens)),
        };
    }
    match here {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(a) if last == "-" => {
            a.push(value);
            Ok(())
        }
        Value::Array(a) => {
            let i = index(last, a.len()).ok_or_else(|| not_container(tokens))?;
            a[i] = value;
            Ok(())
        }
        _ => Err(not_container(tokens)),
    }
}

/// Moves the value at `from` to `to` (nothing happens when `from` is absent).
#[inline]
pub fn rename(doc: &mut Value, from: &[String], to: &[String]) -> Result<(), PointerError> {
    match remove(doc, from) {
        Some(v) => set(doc, to, v),
        None => Ok(()),
    }
}

/// A document with only the listed pointers' values, at the same places (absent ones are
/// skipped; arrays along the way become objects keyed by index only if the pointer names an
/// index, so prefer pointers into objects).
#[inline]
pub fn keep_only(doc: &Value, pointers: &[Vec<String>]) -> Value {
    let mut out = Value::Object(Map::new());
    for tokens in pointers {
        if let Some(v) = get(doc, tokens) {
            // Parents in `out` are objects created by `set`; a failure cannot happen there.
            let _ = set(&mut out, tokens, v.clone());
        }
    }
    out
}

#[inline]
fn not_container(tokens: &[String]) -> PointerError {
    PointerError::NotAContainer(
        tokens
            .iter()
            .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
            .collect(),
    )
}

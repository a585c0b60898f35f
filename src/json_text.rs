//! JSON texts that two parsers can read differently (RFC 8259 sections 4 and 6 leave both
//! open): an object that names a member twice (one parser keeps the first, serde_json the
//! last), and a number literal that a 64-bit float does not hold (one parser rounds it, another
//! keeps every digit). A gateway that checks its own reading of a text and forwards the text
//! must refuse both, or the origin acts on a value that was never checked.
//!
//! ```
//! use gatehouse::json_text::{check, Ambiguity};
//! assert_eq!(check(r#"{"role": "user", "n": 0.1, "m": 1e2}"#), Ok(()));
//! assert!(matches!(check(r#"{"role":"admin","role":"user"}"#), Err(Ambiguity::RepeatedMember { .. })));
//! assert!(matches!(check("9007199254740993"), Err(Ambiguity::NumberTooPrecise { .. })));
//! ```
//!
//! Contract: one pass over the text, at any depth, the first ambiguity in document order. The
//! text must already have parsed as JSON (member names are compared after unescaping, so
//! `"r\u006fle"` repeats `"role"`); on text that is not JSON the answer means nothing, but it
//! never panics.

use std::collections::HashSet;

/// Why a JSON text is ambiguous. Pointers are RFC 6901 JSON Pointers into the text's value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ambiguity {
    /// An object names a member twice; `pointer` is the repeated member's.
    RepeatedMember { pointer: String, name: String },
    /// A number literal has more significant digits than a 64-bit float holds: it only reads
    /// as a float after rounding (`1.0000000000000001`, `9007199254740993`).
    NumberTooPrecise { pointer: String, literal: String },
    /// A non-zero number literal is beyond a 64-bit float's range (it reads as infinity or 0).
    NumberOutOfRange { pointer: String, literal: String },
}

impl Ambiguity {
    /// One sentence for a problem's `detail` (names, pointers and literals the client chose
    /// are shortened).
    pub fn describe(&self) -> String {
        match self {
            Ambiguity::RepeatedMember { pointer, name } => format!(
                "the member {:?} appears twice in one object (at {})",
                shorten(name, 40),
                shorten(pointer, 200)
            ),
            Ambiguity::NumberTooPrecise { pointer, literal } => format!(
                "the number {} (at {}) has more digits than a 64-bit float holds",
                shorten(literal, 40),
                shorten(pointer, 200)
            ),
            Ambiguity::NumberOutOfRange { pointer, literal } => format!(
                "the number {} (at {}) is out of a 64-bit float's range",
                shorten(literal, 40),
                shorten(pointer, 200)
            ),
        }
    }
}

fn shorten(s: &str, max: usize) -> String {
    let s: String = s.chars().filter(|c| !c.is_control()).collect();
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &s[..at]),
        None => s,
    }
}

/// The first ambiguity in a JSON text: a repeated member name or a number a 64-bit float does
/// not hold exactly.
pub fn check(text: &str) -> Result<(), Ambiguity> {
    scan(text, true)
}

/// The first repeated member name in a JSON text, at any depth; numbers are not checked.
pub fn repeated_member(text: &str) -> Result<(), Ambiguity> {
    scan(text, false)
}

/// One open container while scanning.
enum Frame {
    /// An object: the names seen so far, the current member's name, and whether the next
    /// string is a name.
    Object {
        seen: HashSet<String>,
        name: String,
        expect_name: bool,
    },
    /// An array and its current index.
    Array(usize),
}

fn pointer(stack: &[Frame]) -> String {
    let mut out = String::new();
    for frame in stack {
        out.push('/');
        match frame {
            Frame::Object { name, .. } => out.push_str(&name.replace('~', "~0").replace('/', "~1")),
            Frame::Array(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

fn scan(text: &str, numbers: bool) -> Result<(), Ambiguity> {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => stack.push(Frame::Object {
                seen: HashSet::new(),
                name: String::new(),
                expect_name: true,
            }),
            b'[' => stack.push(Frame::Array(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(n)) => *n += 1,
                Some(Frame::Object { expect_name, .. }) => *expect_name = true,
                None => {}
            },
            b':' => {
                if let Some(Frame::Object { expect_name, .. }) = stack.last_mut() {
                    *expect_name = false;
                }
            }
            b'"' => {
                let end = string_end(b, i);
                if let Some(Frame::Object {
                    seen,
                    name,
                    expect_name: true,
                }) = stack.last_mut()
                {
                    *name = unescape(text.get(i + 1..end.saturating_sub(1)).unwrap_or_default());
                    if !seen.insert(name.clone()) {
                        let name = name.clone();
                        return Err(Ambiguity::RepeatedMember {
                            pointer: pointer(&stack),
                            name,
                        });
                    }
                }
                i = end;
                continue;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                if numbers {
                    let literal = &text[start..i];
                    match exactness(literal) {
                        Exactness::Exact => {}
                        Exactness::TooPrecise => {
                            return Err(Ambiguity::NumberTooPrecise {
                                pointer: pointer(&stack),
                                literal: literal.into(),
                            })
                        }
                        Exactness::OutOfRange => {
                            return Err(Ambiguity::NumberOutOfRange {
                                pointer: pointer(&stack),
                                literal: literal.into(),
                            })
                        }
                    }
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The index just past the string that opens at `start` (a `"`).
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// A string's content with its escapes resolved (an unpaired surrogate becomes U+FFFD).
fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    let hex = |chars: &mut std::str::Chars| -> Option<u32> {
        let digits: String = chars.by_ref().take(4).collect();
        u32::from_str_radix(&digits, 16).ok()
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match chars.next() {
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => match hex(&mut chars) {
                Some(hi @ 0xD800..=0xDBFF) => {
                    let mut rest = chars.clone();
                    let lo = (rest.next() == Some('\\') && rest.next() == Some('u'))
                        .then(|| hex(&mut rest))
                        .flatten()
                        .filter(|lo| (0xDC00..=0xDFFF).contains(lo));
                    match lo {
                        Some(lo) => {
                            chars = rest;
                            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                .unwrap_or('\u{FFFD}')
                        }
                        None => '\u{FFFD}',
                    }
                }
                Some(code) => char::from_u32(code).unwrap_or('\u{FFFD}'),
                None => '\u{FFFD}',
            },
            Some(other) => other,
            None => break,
        };
        out.push(decoded);
    }
    out
}

enum Exactness {
    Exact,
    TooPrecise,
    OutOfRange,
}

/// Whether a number literal reads as a 64-bit float without rounding: its significant digits
/// and exponent are those of the float's shortest round-trip form. `0.1`, `1.0` and `1e2`
/// are exact; `1.0000000000000001` (reads as 1) and `9007199254740993` (reads as 2^53) are
/// not.
fn exactness(literal: &str) -> Exactness {
    let Some(written) = Decimal::of(literal) else {
        // More significant digits than any float's shortest form has.
        return Exactness::TooPrecise;
    };
    let float: f64 = match literal.parse() {
        Ok(f) => f,
        Err(_) => return Exactness::TooPrecise,
    };
    if float.is_infinite() || (float == 0.0 && written.len != 0) {
        return Exactness::OutOfRange;
    }
    match Decimal::of(&format!("{:e}", float.abs())) {
        Some(shortest) if shortest == written => Exactness::Exact,
        _ => Exactness::TooPrecise,
    }
}

/// A decimal's significant digits (no leading or trailing zeros, at most 17, the most a
/// float's shortest form has) and the power of ten of the last one. Zero has no digits.
#[derive(PartialEq)]
struct Decimal {
    digits: [u8; 17],
    len: usize,
    exponent: i64,
}

impl Decimal {
    /// Reads `-?digits(.digits)?([eE][+-]?digits)?`; `None` past 17 significant digits.
    fn of(text: &str) -> Option<Decimal> {
        let text = text.strip_prefix('-').unwrap_or(text);
        let (mantissa, exponent) = match text.find(['e', 'E']) {
            Some(at) => (&text[..at], &text[at + 1..]),
            None => (text, "0"),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let (negative, magnitude) = match exponent.as_bytes().first() {
            Some(b'-') => (true, &exponent[1..]),
            Some(b'+') => (false, &exponent[1..]),
            _ => (false, exponent),
        };
        // Saturates: an exponent past any float's range stays past it.
        let magnitude = magnitude.bytes().fold(0i64, |acc, d| {
            acc.saturating_mul(10)
                .saturating_add(i64::from(d.wrapping_sub(b'0')))
        });
        let exponent = if negative { -magnitude } else { magnitude };
        let all = whole.bytes().chain(fraction.bytes());
        let count = whole.len() + fraction.len();
        let first = all.clone().position(|d| d != b'0');
        let mut out = Decimal {
            digits: [0; 17],
            len: 0,
            exponent: 0,
        };
        let Some(first) = first else {
            return Some(out);
        };
        let last = count - 1 - all.clone().rev().position(|d| d != b'0').unwrap_or(0);
        if last - first >= out.digits.len() {
            return None;
        }
        for d in all.skip(first).take(last - first + 1) {
            out.digits[out.len] = d;
            out.len += 1;
        }
        // The last significant digit's place: 10^(count - 1 - last) in the digit string,
        // shifted by the fraction's length and the written exponent.
        out.exponent = exponent
            .saturating_add((count - 1 - last) as i64)
            .saturating_sub(fraction.len() as i64);
        Some(out)
    }
}

//! What a path parameter's value may hold, as the runtime's path normalisation
//! (`src/route/normalise.rs`) decides it, for a client that percent-encodes every character
//! outside `A-Z a-z 0-9 - . _ ~` (OpenAPI's `style: simple` path parameters, and what
//! generated clients and testers such as Schemathesis send). Two things live here, so that
//! the runtime and the OpenAPI documents read one definition:
//!
//! - [`lenient_reading`] and [`disguised_dot_segment`]: how a lenient server reads a segment
//!   (`%3B`, `%3F`, `%23` cut it like `;`; `%20` is a space), which the runtime uses to refuse
//!   dot segments in disguise (`..;x`, `..%20`);
//! - [`pattern`]: the ECMA-262 / Python / Rust-regex pattern of the values whose request the
//!   runtime does not refuse with 400 `bad-path` and that stay one segment: not empty, no `/`
//!   (`%2F` is refused), no `\`, no control character, no look-alike
//!   ([`crate::lookalike::LOOKALIKES`]), not a dot segment in disguise, and (unless the route
//!   sets `allow_double_encoding`) no `%` followed by a hex digit or `u`: those spell
//!   double encoding once escaped. The last rule is the one place the pattern is narrower than
//!   the runtime (`a%20b` passes, `%41` does not; the pattern leaves out both).
//!
//! The pattern has no look-around and no `\u{..}` syntax, so the three dialects read it alike;
//! astral look-alikes are written as the characters themselves.

use crate::lookalike::LOOKALIKES;

/// Escapes a lenient server reads as another character inside a segment (lower-case hex):
/// the three that cut a segment like a path parameter's `;` and the space.
pub const LENIENT_ESCAPES: [(&str, char); 4] =
    [("%3b", ';'), ("%3f", ';'), ("%23", ';'), ("%20", ' ')];

/// `seg` (a normalised, percent-encoded segment) as a lenient server reads it: lower case,
/// with [`LENIENT_ESCAPES`] decoded.
#[inline]
pub fn lenient_reading(seg: &str) -> String {
    let mut reading = seg.to_ascii_lowercase();
    for (escape, c) in LENIENT_ESCAPES {
        reading = reading.replace(escape, c.encode_utf8(&mut [0; 4]));
    }
    reading
}

/// Whether a segment read by [`lenient_reading`] is a dot segment in disguise: its part
/// before the first `;` is only dots and spaces, with a dot. `Some(true)` when a `;` follows
/// (`..;x`), `Some(false)` when not (`...`, `.. `), `None` when the segment is harmless. (The
/// runtime resolves plain `.` and `..` before it asks.)
#[inline]
pub fn disguised_dot_segment(reading: &str) -> Option<bool> {
    let (head, params) = match reading.split_once(';') {
        Some((head, _)) => (head, true),
        None => (reading, false),
    };
    let dots = head.contains('.') && head.bytes().all(|c| c == b'.' || c == b' ');
    dots.then_some(params)
}

/// The regular expression a path parameter's (unencoded) value must match for the request
/// to reach its route: see the module's documentation. `double_encoding_allowed` is the
/// route's `allow_double_encoding`.
///
/// `decoded_by_a_step`: a gRPC or GraphQL call step reads the parameter percent-decoded and
/// refuses any Unicode control character in it (`char::is_control`, `src/http/params.rs`), so
/// the C1 controls (U+0080-U+009F) are left out too.
pub fn pattern(double_encoding_allowed: bool, decoded_by_a_step: bool) -> String {
    // The characters that may appear at all, bar `%` (handled apart).
    let mut refused = String::from(r"\x00-\x1F\x7F/\\%");
    if decoded_by_a_step {
        let controls = ('\u{80}'..='\u{FFFF}').filter(|c| c.is_control());
        let (lo, hi) = controls.fold((None, None), |(lo, _), c| (lo.or(Some(c)), Some(c)));
        if let (Some(lo), Some(hi)) = (lo, hi) {
            // One run (U+0080-U+009F); the property test checks it against `is_control`.
            push_class_char(&mut refused, lo);
            refused.push('-');
            push_class_char(&mut refused, hi);
        }
    }
    for &(lo, hi) in LOOKALIKES {
        push_class_char(&mut refused, lo);
        if hi != lo {
            refused.push('-');
            push_class_char(&mut refused, hi);
        }
    }
    // What cuts a segment's name, unencoded, and the space (from the lenient reading).
    let mut cuts = String::new();
    let mut spaces = String::new();
    for (escape, c) in LENIENT_ESCAPES {
        let decoded = u8::from_str_radix(&escape[1..], 16).map_or(' ', char::from);
        let class = if c == ';' { &mut cuts } else { &mut spaces };
        for d in [c, decoded] {
            if !class.contains(d) {
                class.push(d);
            }
        }
    }
    let plain = format!("[^{refused}]");
    // A plain character that is neither a dot, a space nor a cut: the segment's name is more
    // than dots and spaces from here on.
    let name = format!("[^{refused}.{spaces}{cuts}]");
    // `%` and what may follow it.
    let (percent_then, trailing) = if double_encoding_allowed {
        ("%".to_string(), "%*".to_string())
    } else {
        (format!("%+[^{refused}0-9A-Fa-fuU]"), "%*".to_string())
    };
    let rest = format!("(?:{plain}|{percent_then})*{trailing}");
    format!(
        "^(?:[.{spaces}]*(?:{name}|{percent_then}){rest}|[.{spaces}]*%+|[{spaces}]*[{cuts}]{rest}|[{spaces}]+)$"
    )
}

/// Writes `c` for a regex character class: escaped when the dialects need it.
fn push_class_char(out: &mut String, c: char) {
    match c {
        '\\' | ']' | '[' | '^' | '-' => {
            out.push('\\');
            out.push(c);
        }
        c if !c.is_ascii() && (c as u32) < 0x10000 => {
            out.push_str(&format!("\\u{:04X}", c as u32));
        }
        c => out.push(c),
    }
}

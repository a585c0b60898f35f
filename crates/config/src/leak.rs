//! Owned values as the table's `&'static` data.
//!
//! The table's types are the worker's (`crate::table`, `crate::kinds`): the generated table
//! is a `static`, so they hold `&'static str` and `&'static [T]`. The checker builds those
//! very types from its owned values, so it leaks them here. That is deliberate: the checker
//! runs once per build (in `build.rs`, a test or the benchmark), and a table is small next
//! to what the compiler itself holds.

use crate::lex;
use crate::table::http::UrlPart;

/// A string that lives as long as the process.
pub fn str(s: &str) -> &'static str {
    Box::leak(s.into())
}

/// An optional string, leaked.
pub fn opt(s: Option<&str>) -> Option<&'static str> {
    s.map(str)
}

/// A list of values, leaked.
pub fn slice<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

/// One value, leaked.
pub fn one<T>(v: T) -> &'static T {
    Box::leak(Box::new(v))
}

/// A list of strings, leaked.
pub fn strs<S: AsRef<str>>(v: &[S]) -> &'static [&'static str] {
    slice(v.iter().map(|s| str(s.as_ref())).collect())
}

/// (name, value) pairs, leaked.
pub fn pairs(v: &[(String, String)]) -> &'static [(&'static str, &'static str)] {
    slice(v.iter().map(|(a, b)| (str(a), str(b))).collect())
}

/// A checked URL template as the table's parts.
pub fn url(parts: &[lex::UrlPart]) -> &'static [UrlPart] {
    slice(
        parts
            .iter()
            .map(|p| match p {
                lex::UrlPart::Lit(l) => UrlPart::Lit(str(l)),
                lex::UrlPart::Var(v) => UrlPart::Var(str(v)),
            })
            .collect(),
    )
}

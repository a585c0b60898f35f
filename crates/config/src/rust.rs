//! Writing Rust source literals for the generated table (used by `emit` and the kinds).

use super::lex::UrlPart;

/// `&[("a", "b"), ...]`.
pub fn pairs(v: &[(String, String)]) -> String {
    let items: Vec<String> = v.iter().map(|(a, b)| format!("({a:?}, {b:?})")).collect();
    format!("&[{}]", items.join(", "))
}

/// `&[UrlPart::Lit(".."), UrlPart::Var("..")]`.
pub fn url_parts(parts: &[UrlPart]) -> String {
    let parts: Vec<String> = parts
        .iter()
        .map(|p| match p {
            UrlPart::Lit(l) => format!("UrlPart::Lit({l:?})"),
            UrlPart::Var(v) => format!("UrlPart::Var({v:?})"),
        })
        .collect();
    format!("&[{}]", parts.join(", "))
}

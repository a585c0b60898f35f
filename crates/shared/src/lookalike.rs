//! Characters that some servers fold into a path delimiter: Unicode compatibility forms whose
//! NFKC normalisation contains `.`, `/`, `\`, `;` or `%` (IIS and many frameworks normalise
//! NFKC), plus slashes that Windows "best fit" code-page conversion maps to `/` or `\`.
//!
//! The NFKC set was computed from Unicode 14.0 data (every code point whose NFKC form differs
//! and contains one of those five characters); the best-fit set is the one published for the
//! 2024 "WorstFit" attacks. A path escape that decodes to one of them is refused, and so is
//! a fan-out template value holding one. The OpenAPI documents leave them out of every path
//! parameter's `pattern` ([`crate::path_param`]), read from this same table.

/// The look-alike characters as inclusive ranges, ascending.
pub const LOOKALIKES: &[(char, char)] = &[
    // Best fit in CJK code pages: the yen sign becomes '\'
    ('\u{00A5}', '\u{00A5}'),
    // NFKC: Greek question mark is ';'
    ('\u{037E}', '\u{037E}'),
    // Best fit: the won sign becomes '\'
    ('\u{20A9}', '\u{20A9}'),
    // NFKC: one dot leader, two dot leader, ellipsis
    ('\u{2024}', '\u{2026}'),
    // Best fit: fraction slash
    ('\u{2044}', '\u{2044}'),
    // NFKC: a/c, a/s, c/o, c/u
    ('\u{2100}', '\u{2101}'),
    ('\u{2105}', '\u{2106}'),
    // Best fit: division slash, set minus
    ('\u{2215}', '\u{2216}'),
    // NFKC: "1." .. "20."
    ('\u{2488}', '\u{249B}'),
    // Best fit: big solidus, big reverse solidus
    ('\u{29F8}', '\u{29F9}'),
    // NFKC: a.m., Co., p.m.
    ('\u{33C2}', '\u{33C2}'),
    ('\u{33C7}', '\u{33C7}'),
    ('\u{33D8}', '\u{33D8}'),
    // NFKC: vertical and small forms of ; ... .. . \ %
    ('\u{FE14}', '\u{FE14}'),
    ('\u{FE19}', '\u{FE19}'),
    ('\u{FE30}', '\u{FE30}'),
    ('\u{FE52}', '\u{FE52}'),
    ('\u{FE54}', '\u{FE54}'),
    ('\u{FE68}', '\u{FE68}'),
    ('\u{FE6A}', '\u{FE6A}'),
    // NFKC: fullwidth % . / ; \
    ('\u{FF05}', '\u{FF05}'),
    ('\u{FF0E}', '\u{FF0F}'),
    ('\u{FF1B}', '\u{FF1B}'),
    ('\u{FF3C}', '\u{FF3C}'),
    // NFKC: "0."
    ('\u{1F100}', '\u{1F100}'),
];

/// True when `c` may be read as `.`, `/`, `\`, `;` or `%` by a normalising server.
#[inline]
pub fn is_lookalike(c: char) -> bool {
    (c as u32) >= 0xA5 && LOOKALIKES.iter().any(|&(lo, hi)| lo <= c && c <= hi)
}

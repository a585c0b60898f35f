//! Characters that some servers fold into a path delimiter: Unicode compatibility forms whose
//! NFKC normalisation contains `.`, `/`, `\`, `;` or `%` (IIS and many frameworks normalise
//! NFKC), plus slashes that Windows "best fit" code-page conversion maps to `/` or `\`.
//!
//! The NFKC set was computed from Unicode 14.0 data (every code point whose NFKC form differs
//! and contains one of those five characters); the best-fit set is the one published for the
//! 2024 "WorstFit" attacks. A path escape that decodes to one of them is refused, and so is
//! a fan-out template value holding one.

/// True when `c` may be read as `.`, `/`, `\`, `;` or `%` by a normalising server.
pub fn is_lookalike(c: char) -> bool {
    matches!(
        c,
        // NFKC: ';' and the dot leaders / ellipses
        '\u{037E}' | '\u{2024}'..='\u{2026}'
        // NFKC: a/c, a/s, c/o, c/u
        | '\u{2100}' | '\u{2101}' | '\u{2105}' | '\u{2106}'
        // NFKC: "1." .. "20." and "0."
        | '\u{2488}'..='\u{249B}' | '\u{1F100}'
        // NFKC: a.m., Co., p.m.
        | '\u{33C2}' | '\u{33C7}' | '\u{33D8}'
        // NFKC: vertical and small forms of ; ... .. . \ %
        | '\u{FE14}' | '\u{FE19}' | '\u{FE30}' | '\u{FE52}' | '\u{FE54}' | '\u{FE68}' | '\u{FE6A}'
        // NFKC: fullwidth % . / ; \
        | '\u{FF05}' | '\u{FF0E}' | '\u{FF0F}' | '\u{FF1B}' | '\u{FF3C}'
        // Best fit: fraction slash, division slash, set minus, big solidus, big reverse solidus
        | '\u{2044}' | '\u{2215}' | '\u{2216}' | '\u{29F8}' | '\u{29F9}'
        // Best fit in CJK code pages: yen and won signs become '\'
        | '\u{00A5}' | '\u{20A9}'
    )
}

//! A lenient origin, written independently of `route::normalise`, for the path properties
//! (`tests/path_properties.rs`, fan-out templates in `tests/properties_templates.rs`): it decodes
//! escapes zero, one or two times (including IIS `%uXXXX`), decodes overlong UTF-8 as ASCII,
//! folds a few compatibility characters (fullwidth `.` `/` `\`, dot leaders, division slash,
//! yen), reads `\` as `/`, strips `;` parameters before or after decoding, trims Windows-style
//! dot and space runs to `..`, then removes dot segments.

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// One round of lenient percent-decoding, to bytes, then lenient UTF-8 decoding.
fn lenient_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut bytes = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                bytes.push(h << 4 | l);
                i += 3;
                continue;
            }
            if matches!(b.get(i + 1), Some(b'u' | b'U')) {
                let digits = b
                    .get(i + 2..i + 6)
                    .map(|d| d.iter().filter_map(|&c| hex(c)).collect::<Vec<_>>());
                if let Some(d) = digits.filter(|d| d.len() == 4) {
                    let cp = d.iter().fold(0u32, |a, &x| a << 4 | x as u32);
                    let mut buf = [0; 4];
                    bytes.extend_from_slice(
                        char::from_u32(cp)
                            .unwrap_or('?')
                            .encode_utf8(&mut buf)
                            .as_bytes(),
                    );
                    i += 6;
                    continue;
                }
            }
        }
        bytes.push(b[i]);
        i += 1;
    }
    lenient_utf8(&bytes)
}

/// UTF-8 decoding that also accepts overlong forms (the CVE-2008-2938 class).
fn lenient_utf8(b: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let cont = |k: usize| {
            b.get(i + k)
                .filter(|&&x| x & 0xC0 == 0x80)
                .map(|&x| (x & 0x3F) as u32)
        };
        let decoded = match c {
            0xC0..=0xDF => cont(1).map(|a| ((c as u32 & 0x1F) << 6 | a, 2)),
            0xE0..=0xEF => cont(1)
                .zip(cont(2))
                .map(|(a, b2)| ((c as u32 & 0x0F) << 12 | a << 6 | b2, 3)),
            0xF0..=0xF7 => cont(1)
                .zip(cont(2))
                .zip(cont(3))
                .map(|((a, b2), c3)| ((c as u32 & 0x07) << 18 | a << 12 | b2 << 6 | c3, 4)),
            _ => None,
        };
        match decoded {
            Some((cp, n)) => {
                out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                i += n;
            }
            None => {
                out.push(if c < 0x80 { c as char } else { '\u{FFFD}' });
                i += 1;
            }
        }
    }
    out
}

fn fold_compat(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF0E}' | '\u{2024}' | '\u{FE52}' => ".".to_string(),
            '\u{2025}' | '\u{FE30}' => "..".to_string(),
            '\u{FF0F}' | '\u{2215}' | '\u{2044}' => "/".to_string(),
            '\u{FF3C}' | '\u{FE68}' | '\u{A5}' => "\\".to_string(),
            '\u{FF1B}' => ";".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Path parameters dropped from each segment, and the path cut where a decoded `?` or `#`
/// would start a query or fragment for an origin that parses the target again.
fn strip_params(s: &str) -> String {
    let path = s.split(['?', '#']).next().unwrap_or("");
    path.split('/')
        .map(|seg| seg.split(';').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("/")
}

fn windows_trim(s: &str) -> String {
    s.split('/')
        .map(|seg| {
            let dots_and_spaces = !seg.is_empty() && seg.bytes().all(|c| c == b'.' || c == b' ');
            if dots_and_spaces && seg.contains("..") {
                ".."
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// RFC 3986 remove_dot_segments, lenient: `..` at the root stays at the root.
fn remove_dots(s: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in s.split('/') {
        match seg {
            "." | "" => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

/// Every way a lenient origin may read `path`.
pub fn readings(path: &str) -> Vec<String> {
    let mut all = Vec::new();
    for params_first in [false, true] {
        let start = if params_first {
            strip_params(path)
        } else {
            path.to_string()
        };
        let mut decoded = start;
        for _round in 0..=2 {
            for fold in [false, true] {
                for backslash in [false, true] {
                    for params in [false, true] {
                        for windows in [false, true] {
                            let mut r = decoded.clone();
                            if fold {
                                r = fold_compat(&r);
                            }
                            if backslash {
                                r = r.replace('\\', "/");
                            }
                            if params {
                                r = strip_params(&r);
                            }
                            if windows {
                                r = windows_trim(&r);
                            }
                            all.push(remove_dots(&r));
                        }
                    }
                }
            }
            decoded = lenient_decode(&decoded);
        }
    }
    all
}

/// Pieces that path tricks are made of: escapes of delimiters, of `%`, overlong and
/// compatibility forms, broken escapes, and plain text.
pub const PIECES: &[&str] = &[
    "/",
    ".",
    "..",
    ";",
    "\\",
    "%",
    "a",
    "admin",
    "%2e",
    "%2E",
    "%2f",
    "%5c",
    "%25",
    "%3b",
    "%3B",
    "%3f",
    "%3F",
    "%23",
    "%20",
    "%00",
    "%41",
    "%32",
    "%35",
    "%65",
    "%66",
    "%63",
    "2e",
    "2f",
    "5c",
    "25",
    "3b",
    "20",
    "c0",
    "ae",
    "af",
    "u002e",
    "u",
    "%u002e",
    "%c0%ae",
    "%C0%AF",
    "%c1%9c",
    "%e0%80%ae",
    "%f0%80%80%ae",
    "%c0",
    "%ae",
    "%80",
    "%ef%bc%8e",
    "%ef%bc%8f",
    "%e2%80%a5",
    "%e2%88%95",
    "%c2%a5",
    "%c3%a9",
    "%ff",
    "%ed%a0%80",
];

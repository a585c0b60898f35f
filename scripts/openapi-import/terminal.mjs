// Text from the document (paths, names, server URLs, ...) on its way to a terminal.
//
// Contract: `printable(text)` answers `text` with every character that could move the cursor,
// erase or recolour what was printed, start a new line or reorder it shown as `\uXXXX`
// instead: C0 controls (tab, CR and LF included), DEL, C1 controls, U+2028/U+2029 and the
// bidirectional formatting characters. Lone surrogates become U+FFFD.

const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function printable(text) {
  return String(text)
    .toWellFormed()
    .replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

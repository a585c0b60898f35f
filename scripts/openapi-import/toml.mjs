// A small TOML writer for the shapes routes/ files use: strings, numbers, booleans, arrays
// and inline tables as values; `[name]` tables and `[[route]]` arrays of tables.
//
// Contract: `value` answers TOML that reads back as the same value (strings are escaped as
// TOML basic strings, every control character, DEL, C1 and U+2028/U+2029 as `\uXXXX`; lone
// UTF-16 surrogates, which TOML cannot hold, become U+FFFD). `comment` answers comment lines
// TOML accepts whatever the text holds (control characters shown as `\uXXXX`).

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

export function key(k) {
  return BARE_KEY.test(k) ? k : string(k);
}

/** What JSON.stringify leaves raw that TOML forbids (DEL) or readers mangle (C1, U+2028/9). */
const UNESCAPED = /[\u007f-\u009f\u2028\u2029]/g;
/** What a comment cannot hold: control characters but tab, and the above. */
const NOT_IN_COMMENT = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;

const hex = (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

export function string(s) {
  // JSON's escapes (\" \\ \n \t \uXXXX ...) are all valid in TOML basic strings.
  return JSON.stringify(String(s).toWellFormed()).replace(UNESCAPED, hex);
}

export function value(v) {
  if (typeof v === "string") return string(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(value).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const members = Object.entries(v).map(([k, x]) => `${key(k)} = ${value(x)}`);
    return members.length === 0 ? "{}" : `{ ${members.join(", ")} }`;
  }
  throw new Error(`no TOML form for ${v}`);
}

/** `key = value` lines for a table's members, skipping undefined ones. */
export function members(table) {
  return Object.entries(table)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${key(k)} = ${value(v)}`)
    .join("\n");
}

/** `# text` comment lines (one per line of `text`). */
export function comment(text) {
  return String(text)
    .toWellFormed()
    .split(/\r?\n/)
    .map((l) => `# ${l.replace(NOT_IN_COMMENT, hex)}`.trimEnd())
    .join("\n");
}

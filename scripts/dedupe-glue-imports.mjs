// Rewrites wasm-bindgen's glue (worker-build's staging `index.js`) so each JS module it hands
// the wasm appears once in `__wbg_get_imports`'s return object.
//
// Why: wasm-bindgen 0.2.130 writes one `import * as importN from "<module>"` line and one
// `"<module>": importN,` key per wasm import it wires straight to a JS module (no shim), so
// the nine platform.js functions that need no conversion (`deleteAll`, `respond`, `editable`,
// ...) give nine identical keys, and esbuild warns "Duplicate key" eight times on every
// build. All the `importN` of one module are the same namespace object, so keeping the first
// and dropping the rest changes nothing the wasm sees.
//
// Contract: `node scripts/dedupe-glue-imports.mjs <file>` rewrites <file> in place, silently.
// A file without duplicates is left as it is. Exits 1
// with a message, leaving the file untouched, when a dropped `importN` is still referenced
// elsewhere (the glue's shape changed: look again rather than guess).
import fs from "node:fs";

/// Returns `{ text, dropped }`: `text` with every repeated module import and key removed.
export function dedupeGlueImports(text) {
  const importLine = /^import \* as (import\d+) from "([^"]+)";?\n/gm;
  const firstFor = new Map(); // module -> the first importN naming it
  const alias = new Map(); // a later importN -> the first importN of its module
  for (const [, name, module] of text.matchAll(importLine)) {
    if (firstFor.has(module)) alias.set(name, firstFor.get(module));
    else firstFor.set(module, name);
  }
  if (alias.size === 0) return { text, dropped: 0 };
  let out = text.replace(importLine, (line, name) => (alias.has(name) ? "" : line));
  out = out.replace(/^\s*"([^"]+)": (import\d+),\n/gm, (line, _module, name) => (alias.has(name) ? "" : line));
  for (const name of alias.keys()) {
    if (new RegExp(`\\b${name}\\b`).test(out)) {
      throw new Error(`${name} is still used after dropping its duplicate import; wasm-bindgen's glue changed shape`);
    }
  }
  return { text: out, dropped: alias.size };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node scripts/dedupe-glue-imports.mjs <wasm-bindgen glue .js>");
    process.exit(2);
  }
  try {
    const { text, dropped } = dedupeGlueImports(fs.readFileSync(file, "utf8"));
    if (dropped > 0) fs.writeFileSync(file, text);
  } catch (e) {
    console.error(`[build] error: ${file}: ${e.message}`);
    process.exit(1);
  }
}

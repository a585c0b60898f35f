// Code bytes per wasm function (from the name section), grouped by crate, and the largest functions.
// usage: node bench/diag/wasm-size.mjs <file.wasm> [top]
import fs from "node:fs";
const buf = fs.readFileSync(process.argv[2]);
const top = Number(process.argv[3] ?? 25);
let p = 8;
const u32 = () => { let r = 0, s = 0, b; do { b = buf[p++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
let imports = 0, bodies = [], names = new Map(), sections = [];
while (p < buf.length) {
  const id = buf[p++]; const size = u32(); const start = p; const end = p + size;
  let label = String(id);
  if (id === 0) { const n = u32(); label = "custom:" + buf.slice(p, p + n).toString(); p += n;
    if (label === "custom:name") { while (p < end) { const sid = buf[p++]; const ss = u32(); const se = p + ss;
      if (sid === 1) { const c = u32(); for (let i = 0; i < c; i++) { const idx = u32(); const l = u32(); names.set(idx, buf.slice(p, p + l).toString()); p += l; } }
      p = se; } } }
  else if (id === 2) { const c = u32(); for (let i = 0; i < c; i++) { let l = u32(); p += l; l = u32(); p += l; const kind = buf[p++]; if (kind === 0) { u32(); imports++; } else if (kind === 1) { p++; const f = buf[p++]; u32(); if (f & 1) u32(); } else if (kind === 2) { const f = buf[p++]; u32(); if (f & 1) u32(); } else if (kind === 3) { p += 2; } } }
  else if (id === 10) { const c = u32(); for (let i = 0; i < c; i++) { const s = u32(); bodies.push(s); p += s; } }
  sections.push([label, size]); p = end;
}
console.log("sections:", sections.map(([l, s]) => `${l}=${(s / 1024).toFixed(1)}K`).join(" "));
const demangle = (n) => n.replace(/^_ZN/, "").replace(/17h[0-9a-f]{16}E$/, "");
const crateOf = (n) => {
  const d = n.startsWith("_ZN") ? demangle(n) : n;
  const m = /^(?:\d+)?([A-Za-z_][A-Za-z0-9_]*)/.exec(d.replace(/^_\$LT\$/, "").replace(/^\d+_\$LT\$/, ""));
  return m ? m[1] : d.slice(0, 20);
};
const byCrate = new Map(), fns = [];
bodies.forEach((s, i) => { const n = names.get(i + imports) ?? `f${i + imports}`; fns.push([s, n]); const c = crateOf(n); byCrate.set(c, (byCrate.get(c) ?? 0) + s); });
const total = bodies.reduce((a, b) => a + b, 0);
console.log(`code ${(total / 1024).toFixed(1)} KiB in ${bodies.length} functions`);
for (const [c, s] of [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(s / 1024).toFixed(1).padStart(8)} KiB ${(100 * s / total).toFixed(1).padStart(5)}%  ${c}`);
console.log("--- largest functions");
for (const [s, n] of fns.sort((a, b) => b[0] - a[0]).slice(0, top)) console.log(`${(s / 1024).toFixed(1).padStart(8)} KiB  ${n.slice(0, 150)}`);

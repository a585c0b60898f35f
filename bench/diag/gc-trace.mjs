// Summarises a workerd run with v8Flags = ["--trace-gc-nvp"] in its config: per collector kind,
// the mean pause, interval, bytes allocated and surviving, and the pause components >= 0.3 ms.
// usage: node bench/diag/gc-trace.mjs <workerd output> [from_ms]
import fs from "node:fs";
const [file, from = "12000"] = process.argv.slice(2);
const rows = [];
for (const line of fs.readFileSync(file, "utf8").split("\n")) {
  const m = /\s(\d+) ms: GC: (\{.*\})/.exec(line); if (!m) continue;
  const t = Number(m[1]); if (t < Number(from)) continue;
  rows.push({ t, ...JSON.parse(m[2]) });
}
const by = (k) => rows.filter((r) => r.gc === k);
for (const kind of ["s", "mc", "mmc"]) {
  const rs = by(kind); if (!rs.length) continue;
  const avg = (f) => (rs.reduce((a, r) => a + f(r), 0) / rs.length);
  const keys = Object.keys(rs[0]).filter((k) => k.startsWith("scavenge.") || k.startsWith("mark") || k === "evacuate" || k === "clear" || k === "sweep" || k.startsWith("heap.external"));
  const comp = keys.map((k) => [k, avg((r) => r[k] ?? 0)]).filter(([, v]) => v >= 0.3).map(([k, v]) => `${k}=${v.toFixed(1)}`).join(" ");
  console.log(`${kind} n=${rs.length} pause=${avg((r) => r.pause).toFixed(1)}ms max=${Math.max(...rs.map((r) => r.pause)).toFixed(1)} interval=${kind === "s" ? (avg((r) => r.mutator)).toFixed(0) : "-"}ms alloc=${(avg((r) => r.allocated) / 1e6).toFixed(1)}MB survived=${(avg((r) => r.new_space_survived ?? 0) / 1e6).toFixed(2)}MB promoted=${(avg((r) => r.promoted ?? 0) / 1e6).toFixed(2)}MB cap=${(avg((r) => r.new_space_capacity) / 1e6).toFixed(1)}MB nodes_copied=${avg((r) => r.nodes_copied_in_new ?? 0).toFixed(0)} nodes_promoted=${avg((r) => r.nodes_promoted ?? 0).toFixed(0)} | ${comp}`);
}

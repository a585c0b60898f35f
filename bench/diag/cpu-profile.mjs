// Samples V8's CPU profiler in a running workerd (started with --inspector-addr) while wrk
// loads one path, and prints the functions with the most self time (wasm names included).
// usage: node bench/diag/cpu-profile.mjs <inspector port> <url> [seconds] [top]
import { WebSocket } from "ws";
import { spawnSync } from "node:child_process";

const [port, url, seconds = "5", top = "40"] = process.argv.slice(2);
const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
await new Promise((r) => ws.once("open", r));
let id = 0;
const pending = new Map();
ws.on("message", (m) => {
  const msg = JSON.parse(m);
  if (msg.id && pending.has(msg.id)) pending.get(msg.id)(msg.result ?? msg.error);
});
const call = (method, params = {}) =>
  new Promise((r) => {
    pending.set(++id, r);
    ws.send(JSON.stringify({ id, method, params }));
  });
await call("Profiler.enable");
await call("Profiler.setSamplingInterval", { interval: 50 });
await call("Profiler.start");
spawnSync("wrk", ["-t2", "-c16", `-d${seconds}s`, ...(process.env.WRK_SCRIPT ? ["-s", process.env.WRK_SCRIPT] : []), url], { stdio: "ignore" });
const { profile } = await call("Profiler.stop");
const self = new Map();
let total = 0;
for (const n of profile.nodes) {
  const name = `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url ? n.callFrame.url.split("/").pop() : ""}`;
  self.set(name, (self.get(name) ?? 0) + n.hitCount);
  total += n.hitCount;
}
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(top));
for (const [name, hits] of rows) console.log(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${name}`);
ws.close();

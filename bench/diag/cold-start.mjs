// Cold start, split: workerd start -> socket accepts (listen), -> first 200, and a second request.
// usage: node bench/diag/cold-start.mjs <workerd.capnp> <port> <path> [starts]
import { spawn } from "node:child_process";
import net from "node:net";
const [capnp, port, path, n = "7"] = process.argv.slice(2);
const W = new URL("../../node_modules/@cloudflare/workerd-linux-64/bin/workerd", import.meta.url).pathname;
const rows = [];
const canConnect = () => new Promise((res) => { const s = net.connect(Number(port), "127.0.0.1"); s.on("connect", () => { s.destroy(); res(true); }); s.on("error", () => res(false)); });
for (let i = 0; i < Number(n); i++) {
  const t0 = performance.now();
  const c = spawn(W, ["serve", capnp], { stdio: "ignore" });
  while (!(await canConnect())) await new Promise((r) => setTimeout(r, 0.5));
  const tListen = performance.now() - t0;
  let r = await fetch(`http://127.0.0.1:${port}${path}`); await r.text();
  const tFirst = performance.now() - t0;
  const s2 = performance.now(); r = await fetch(`http://127.0.0.1:${port}${path}`); await r.text(); const tSecond = performance.now() - s2;
  rows.push([tListen, tFirst - tListen, tSecond]); c.kill("SIGKILL"); await new Promise((r) => c.on("exit", r));
}
const med = (k) => rows.map((r) => r[k]).sort((a, b) => a - b)[rows.length >> 1].toFixed(1);
console.log(`${capnp}: listen ${med(0)} ms, first request ${med(1)} ms, second ${med(2)} ms`);

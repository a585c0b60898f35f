// Cold start, split into where the time goes, for the builds a `make bench` run left in
// bench/work (gatehouse-small, hono-small, js-minimal). Each start: spawn workerd, time until
// the socket accepts (listen), then the first 200 on S1's path, then a second request.
// Systems, interleaved start by start (so drift hits all), medians of COLD_STARTS (9):
// - js-minimal: the runtime's floor;
// - js-minimal+wasm: js-minimal that also imports Gatehouse's wasm module without using it
//   (workerd compiles an imported module when it loads the worker: validation and lazy
//   compilation setup);
// - gatehouse: the bundle as deployed (instantiation, the glue, the first request's lazy
//   compilation of the functions it runs);
// - hono.
// COLD_BEFORE=<dir> adds "gatehouse-before": another commit's bench build (as BENCH_BEFORE_BUILD).
// usage: node bench/diag/cold-split.mjs     (needs an nginx origin on 127.0.0.1:18080: it
// starts one from the benchmark's template)
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { ROOT, WORK, WORKERD, gatehouseBuild, workerdConfig, start, stop, waitReady } from "../workerd.mjs";

const N = Number(process.env.COLD_STARTS ?? 9);
const ORIGIN = 18080;
const gh = gatehouseBuild(path.join(WORK, "gatehouse-small"));
const wasmName = gh.modules.find((m) => m.type === "wasm").name;
const withWasm = path.join(WORK, "js-minimal-wasm");
fs.mkdirSync(withWasm, { recursive: true });
fs.copyFileSync(path.join(gh.dir, wasmName), path.join(withWasm, wasmName));
fs.writeFileSync(path.join(withWasm, "index.js"), `import module from "./${wasmName}";
globalThis.gatehouseModule = module; // imported, never instantiated
${fs.readFileSync(path.join(ROOT, "bench/peers/js-minimal/worker.js"), "utf8")}`);
const systems = {
  "js-minimal": { dir: path.join(WORK, "js-minimal"), modules: [{ name: "index.js", type: "esModule" }] },
  "js-minimal+wasm": { dir: withWasm, modules: [{ name: "index.js", type: "esModule" }, { name: wasmName, type: "wasm" }] },
  gatehouse: gh,
  ...(process.env.COLD_BEFORE ? { "gatehouse-before": gatehouseBuild(path.resolve(process.env.COLD_BEFORE)) } : {}),
  hono: { dir: path.join(WORK, "hono-small"), modules: [{ name: "index.js", type: "esModule" }], durableObjects: [["RATE_LIMITER", "Limiter"]] },
};

const prefix = path.join(WORK, "nginx-origin-cold");
fs.mkdirSync(prefix, { recursive: true });
fs.writeFileSync(path.join(prefix, "nginx.conf"), fs.readFileSync(path.join(ROOT, "bench/peers/nginx/origin.conf.template"), "utf8")
  .replaceAll("__PREFIX__", prefix).replaceAll("__PORT__", String(ORIGIN)));
const origin = start("nginx", ["-p", prefix, "-c", path.join(prefix, "nginx.conf"), "-e", path.join(prefix, "error.log")]);
await waitReady(ORIGIN, origin);

const canConnect = (port) => new Promise((res) => {
  const s = net.connect(port, "127.0.0.1");
  s.on("connect", () => { s.destroy(); res(true); });
  s.on("error", () => res(false));
});
const rows = Object.fromEntries(Object.keys(systems).map((k) => [k, []]));
try {
  for (let i = 0; i < N; i++) {
    for (const [name, build] of Object.entries(systems)) {
      const port = 18200 + i;
      const config = workerdConfig(build, port, { text: { ORIGIN: `http://127.0.0.1:${ORIGIN}`, JWT_SECRET: "x" } });
      const t0 = performance.now();
      const child = spawn(WORKERD, ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
      let exited = false, stderr = "";
      child.stderr.on("data", (d) => { stderr += d; });
      child.on("exit", () => { exited = true; });
      while (!(await canConnect(port))) {
        if (exited) throw new Error(`${name}: workerd exited before listening\n${stderr}`);
        await new Promise((r) => setTimeout(r, 0.5));
      }
      const listen = performance.now() - t0;
      let r = await fetch(`http://127.0.0.1:${port}/v1/users/42`);
      await r.text();
      if (r.status !== 200) throw new Error(`${name}: ${r.status}`);
      const first = performance.now() - t0 - listen;
      const s2 = performance.now();
      r = await fetch(`http://127.0.0.1:${port}/v1/users/42`);
      await r.text();
      rows[name].push([listen, first, performance.now() - s2]);
      child.kill("SIGKILL");
      if (!exited) await new Promise((res) => child.on("exit", res));
    }
  }
} finally {
  await stop(origin);
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`| system | listen ms | first request ms | start to first 200 ms | second request ms |`);
console.log(`| --- | ---: | ---: | ---: | ---: |`);
for (const [name, r] of Object.entries(rows)) {
  const f = (k) => med(r.map((x) => x[k])).toFixed(1);
  console.log(`| ${name} | ${f(0)} | ${f(1)} | ${med(r.map((x) => x[0] + x[1])).toFixed(1)} | ${f(2)} |`);
}

// Running workers on workerd directly (no Miniflare, no wrangler dev), for the benchmark
// (bench/run.mjs) and the soak (bench/soak.mjs): a capnp config per build, processes whose
// stderr goes to a file, readiness polling and CPU accounting from /proc.
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const WORK = path.join(ROOT, "bench/work");
export const WORKERD = path.join(ROOT, "node_modules/@cloudflare/workerd-linux-64/bin/workerd");
export const WRANGLER = path.join(ROOT, "node_modules/.bin/wrangler");
export const COMPAT_DATE = "2026-04-01";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * `wrangler deploy --dry-run --outdir <out>` with `routes` as GATEHOUSE_ROUTES: exactly what a
 * deploy uploads. Returns the build (dir, modules, Durable Object classes).
 */
export function buildGatehouse(out, routes, say = () => {}) {
  say(`building gatehouse (${path.relative(ROOT, routes)}) with wrangler deploy --dry-run (release wasm, ~1-2 min)`);
  fs.rmSync(out, { recursive: true, force: true });
  execFileSync(WRANGLER, ["deploy", "--dry-run", "--env=", "--outdir", out], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, GATEHOUSE_ROUTES: routes, WRANGLER_SEND_METRICS: "false" },
  });
  return gatehouseBuild(out);
}

/** A gatehouse build already in `dir` (the output of `wrangler deploy --dry-run --outdir`). */
export function gatehouseBuild(dir) {
  const wasm = fs.readdirSync(dir).find((f) => f.endsWith(".wasm"));
  return { dir, modules: [{ name: "index.js", type: "esModule" }, { name: wasm, type: "wasm" }],
    durableObjects: [["RATE_LIMITER", "RateLimiter"], ["CACHE_GENERATIONS", "CacheGenerations"]] };
}

const capnpText = (s) => JSON.stringify(String(s));

/**
 * Writes a workerd config that serves `build` on 127.0.0.1:`port` and returns its path.
 * - `text`: text bindings (name -> value);
 * - `kv`: the API_KEYS namespace's contents (key -> value), answered by a small KV service;
 * - `analytics`: bind ANALYTICS to a service that accepts Analytics Engine writes (needs
 *   `workerd serve --experimental`); it counts them and answers 204;
 * - `cacheMaxEntries`: the Cache API store's size (oldest entries evicted beyond it).
 * Loopback is allowed out, the Cache API is bench/peers/cache-service.js, and the build's
 * Durable Object classes get SQLite storage in a fresh directory.
 */
export function workerdConfig(build, port, { text = {}, kv = {}, analytics = false, cacheMaxEntries = 0 } = {}) {
  const doDir = path.join(build.dir, `do-${port}`);
  fs.rmSync(doDir, { recursive: true, force: true });
  fs.mkdirSync(doDir, { recursive: true });
  const objects = build.durableObjects ?? [];
  const modules = build.modules
    .map((m) => `(name = "${m.name}", ${m.type === "wasm" ? "wasm" : "esModule"} = embed "${m.name}")`)
    .join(",\n      ");
  const bindings = [
    ...Object.entries(text).map(([name, value]) => `(name = "${name}", text = ${capnpText(value)})`),
    `(name = "API_KEYS", kvNamespace = "kv")`,
    ...(analytics ? [`(name = "ANALYTICS", analyticsEngine = "analytics")`] : []),
    ...objects.map(([binding, cls]) => `(name = "${binding}", durableObjectNamespace = "${cls}")`),
  ];
  const file = path.join(build.dir, `workerd-${port}.capnp`);
  fs.writeFileSync(file, `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["public", "private", "local"])),
    (name = "kv", worker = .kv),
    (name = "do-disk", disk = (path = "${doDir}", writable = true)),
    (name = "cache", worker = .cache),
    (name = "analytics", worker = .analytics),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
      ${modules}
  ],
  compatibilityDate = "${COMPAT_DATE}",
  globalOutbound = "loopback",
  cacheApiOutbound = "cache",
  bindings = [
    ${bindings.join(",\n    ")},
  ],${objects.length ? `
  durableObjectNamespaces = [${objects.map(([, cls]) => `(className = "${cls}", uniqueKey = "bench-${cls}", enableSql = true)`).join(", ")}],
  durableObjectStorage = (localDisk = "do-disk"),` : ""}
);
# The Cache API's store (bench/peers/cache-service.js).
const cache :Workerd.Worker = (
  modules = [(name = "cache.js", esModule = embed "cache.js")],
  compatibilityDate = "${COMPAT_DATE}",
  bindings = [(name = "MAX_ENTRIES", text = "${cacheMaxEntries}")],
);
# A KV namespace for workerd without Miniflare: answers KV's GET protocol from a fixed map.
const kv :Workerd.Worker = (
  modules = [(name = "kv.js", esModule = embed "kv.js")],
  compatibilityDate = "${COMPAT_DATE}",
);
# Analytics Engine writes (when bound): counted and dropped.
const analytics :Workerd.Worker = (
  modules = [(name = "analytics.js", esModule = embed "analytics.js")],
  compatibilityDate = "${COMPAT_DATE}",
);
`);
  fs.copyFileSync(path.join(ROOT, "bench/peers/cache-service.js"), path.join(build.dir, "cache.js"));
  fs.writeFileSync(path.join(build.dir, "kv.js"), `const STORE = ${JSON.stringify(kv)};
export default { fetch(req) {
  const v = STORE[decodeURIComponent(new URL(req.url).pathname.slice(1))];
  return v === undefined ? new Response(null, { status: 404 }) : new Response(v);
} };
`);
  fs.writeFileSync(path.join(build.dir, "analytics.js"), `let writes = 0;
export default { async fetch(req) { await req.arrayBuffer(); writes++; return new Response(null, { status: 204 }); } };
`);
  return file;
}

const running = new Set();
let started = 0;
/** Starts a process with stderr to a file in bench/work (a pipe could fill while wrk blocks). */
export function start(cmd, args) {
  const log = path.join(WORK, `process-${started++}.log`);
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", fs.openSync(log, "w")] });
  child.stderrTail = () => { try { return fs.readFileSync(log, "utf8").slice(-4000); } catch { return ""; } };
  running.add(child);
  child.on("exit", () => running.delete(child));
  return child;
}
export async function stop(child) {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(3000)]);
  if (child.exitCode === null) child.kill("SIGKILL");
}
process.on("exit", () => { for (const c of running) c.kill("SIGKILL"); });
process.on("SIGINT", () => process.exit(130));

/** One request on a fresh connection; resolves { status, text, headers }. */
export function get(port, reqPath, method = "GET", body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: reqPath, method, headers, agent: false }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, text, headers: res.headers }));
    });
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

/** Resolves with the first answer on `port`; throws if the process exits or nothing answers. */
export async function waitReady(port, child, reqPath = "/") {
  for (let i = 0; i < 3000; i++) {
    if (child.exitCode !== null) throw new Error(`process exited early: ${child.stderrTail()}`);
    try { return await get(port, reqPath); } catch { await sleep(5); }
  }
  throw new Error(`nothing answered on port ${port}: ${child.stderrTail()}`);
}

/** utime+stime in microseconds of a process and its direct children (nginx workers). */
export function cpuMicros(pid) {
  const tick = 1e6 / Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
  const pids = [pid];
  try { pids.push(...execFileSync("pgrep", ["-P", String(pid)]).toString().trim().split("\n").filter(Boolean).map(Number)); } catch {}
  let total = 0;
  for (const p of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += (Number(fields[11]) + Number(fields[12])) * tick;
    } catch {}
  }
  return total;
}

/**
 * On-CPU time in microseconds of a process's live threads, summed from
 * /proc/<pid>/task/<tid>/schedstat (nanoseconds), where cpuMicros counts clock ticks (10 ms
 * at CLK_TCK 100). Threads that exited before the call are not counted, so use it over spans
 * in which the process keeps its threads (workerd does); cpuMicros remains the cross-check.
 */
export function threadCpuMicros(pid) {
  let ns = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try { ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]); } catch {}
  }
  return ns / 1000;
}

/** Resident set size of a process in bytes (VmRSS). */
export function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : null;
}

// Soak: mixed traffic over the example routes (routes/) on workerd for SOAK_MINUTES (default
// 10), sampling the gateway isolate's memory every 10 s. See RELIABILITY.md.
//
//   make soak                       (SOAK_MINUTES=30 make soak for a longer run)
//
// Environment: SOAK_MINUTES (10), SOAK_CONNECTIONS (8, requests in flight), SOAK_SAMPLE_S (10),
// SOAK_WARM_S (180: by then the caches have reached their caps at this load), SOAK_HEAP_BOUND
// (1.10: isolate memory after SOAK_WARM_S may exceed the most it reached between the first
// minute and SOAK_WARM_S by 10%),
// SOAK_P99_BOUND (1.5: no minute's p99 may exceed the second minute's by more),
// SOAK_REUSE_BUILD=1 (skip the build when bench/work/gatehouse-example exists),
// SOAK_ONLY=jwt,cache (only the traffic classes whose names contain one of these: to find
// which one moves memory).
//
// What it sends (weights in MIX): proxied GETs, HEADs and POSTs; a JWT route with 20,000
// distinct tokens; an API-key route with 2,000 keys and unknown keys; limited routes keyed by
// 50,000 client IPs and 10,000 tenants; a cached route over 200,000 distinct URLs (the hot tier
// and the Cache API fill and evict); a pool with one dead target (its breaker opens and probes
// all the time); fan-out; a response transform; GraphQL; validation failures; 4xx noise.
// Memory: the gateway isolate's V8 heap after a forced GC (Runtime.getHeapUsage through the
// inspector), its wasm linear memory (every WebAssembly.Memory in the isolate), and workerd's
// RSS. Results in bench/results/soak.json and soak.md; exits 1 when a bound is broken.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { WebSocket } from "ws";
import { startOrigin } from "../scripts/demo-origin.mjs";
import { startIdp, claims } from "../scripts/test-idp.mjs";
import { ROOT, WORK, WORKERD, buildGatehouse, gatehouseBuild, workerdConfig, start, stop, waitReady, rssBytes, sleep } from "./workerd.mjs";

const opt = {
  minutes: Number(process.env.SOAK_MINUTES ?? 10),
  connections: Number(process.env.SOAK_CONNECTIONS ?? 8),
  sampleS: Number(process.env.SOAK_SAMPLE_S ?? 10),
  warmS: Number(process.env.SOAK_WARM_S ?? 180),
  heapBound: Number(process.env.SOAK_HEAP_BOUND ?? 1.1),
  p99Bound: Number(process.env.SOAK_P99_BOUND ?? 1.5),
};
const PORT = 18300;
const INSPECTOR = 18301;
const RESULTS = path.join(ROOT, "bench/results");
const say = (...a) => console.error("[soak]", ...a);
const rnd = (n) => Math.floor(Math.random() * n);
const pick = (xs) => xs[rnd(xs.length)];
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);
const r2 = (x) => (x == null ? null : Math.round(x * 100) / 100);
const mib = (b) => (b == null ? null : Math.round((b / 2 ** 20) * 10) / 10);

/** A port nothing listens on: connections to it are refused (the pool's dead target). */
async function deadPort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// ---------------------------------------------------------------------------------------------
// The inspector: heap after GC and wasm memory of the gateway isolate

async function inspector(port) {
  let targets;
  for (let i = 0; i < 500 && !targets?.length; i++) {
    try { targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json(); } catch { await sleep(20); }
  }
  // One target per worker; the gateway is the service named "main".
  const target = targets.find((t) => /main/.test(`${t.title} ${t.url} ${t.id}`)) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r, j) => { ws.once("open", r); ws.once("error", j); });
  let id = 0;
  const pending = new Map();
  let contextId;
  ws.on("message", (m) => {
    const msg = JSON.parse(m);
    if (msg.method === "Runtime.executionContextCreated") contextId ??= msg.params.context.id;
    if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg); pending.delete(msg.id); }
  });
  const call = (method, params = {}) => new Promise((resolve, reject) => {
    pending.set(++id, (msg) => (msg.error ? reject(new Error(`${method}: ${msg.error.message}`)) : resolve(msg.result)));
    ws.send(JSON.stringify({ id, method, params }));
  });
  await call("Runtime.enable");
  return {
    target: target.title ?? target.id,
    async sample() {
      await call("HeapProfiler.collectGarbage");
      const heap = await call("Runtime.getHeapUsage");
      // Every WebAssembly.Memory in the isolate (the gateway's one), found by prototype.
      const proto = await call("Runtime.evaluate", { expression: "WebAssembly.Memory.prototype", ...(contextId ? { contextId } : {}) });
      const list = await call("Runtime.queryObjects", { prototypeObjectId: proto.result.objectId });
      const sum = await call("Runtime.callFunctionOn", {
        objectId: list.objects.objectId, returnByValue: true,
        functionDeclaration: "function () { return this.reduce((n, m) => n + m.buffer.byteLength, 0); }",
      });
      await call("Runtime.releaseObjectGroup", { objectGroup: "" }).catch(() => {});
      return { heapUsed: heap.usedSize, heapTotal: heap.totalSize, wasm: sum.result.value };
    },
    close: () => ws.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// Traffic

function makeMix(idp) {
  say("minting 20,000 ES256 tokens and 2,000 API keys");
  const ttl = opt.minutes * 60 + 3600;
  const tokens = Array.from({ length: 20000 }, (_, i) => idp.token(claims({ sub: `user-${i}` }, ttl), "ES256"));
  const keys = Array.from({ length: 2000 }, () => `gh_${crypto.randomBytes(24).toString("base64url")}`);
  const kv = Object.fromEntries(keys.map((k, i) => [
    `sha256:${crypto.createHash("sha256").update(k).digest("hex")}`,
    JSON.stringify({ id: `consumer-${i}`, name: `Consumer ${i}`, plan: "gold", scopes: ["data:read"], enabled: true }),
  ]));
  const json = { "content-type": "application/json" };
  const ip = () => `10.${rnd(4)}.${rnd(250)}.${rnd(50)}`; // 50,000 clients
  // [weight, class, make() -> request, statuses that are expected]
  const mix = [
    [18, "proxy GET", () => ({ path: `/v1/users/${rnd(1000)}` }), [200]],
    [4, "proxy HEAD", () => ({ method: "HEAD", path: `/v1/users/${rnd(1000)}` }), [200]],
    [5, "proxy POST", () => ({ method: "POST", path: "/v1/users", headers: json, body: JSON.stringify({ name: `n${rnd(1e6)}` }) }), [200, 201]],
    [10, "jwt", () => ({ path: "/v1/me", headers: { authorization: `Bearer ${pick(tokens)}` } }), [200]],
    [7, "api key", () => ({ path: "/v1/partner/data", headers: { "x-api-key": pick(keys) } }), [200]],
    [2, "api key unknown", () => ({ path: "/v1/partner/data", headers: { "x-api-key": `gh_${crypto.randomBytes(24).toString("base64url")}` } }), [401]],
    [7, "limit per ip", () => ({ path: `/v1/search?q=${rnd(100)}`, headers: { "cf-connecting-ip": ip() } }), [200, 429]],
    [4, "limit per tenant", () => ({ path: "/v1/tenants/items", headers: { "x-tenant": `t-${rnd(10000)}` } }), [200, 429]],
    [12, "cache", () => ({ path: `/v1/web/cached/${rnd(200000)}` }), [200]],
    [6, "pool, one target dead", () => ({ path: `/v1/pool/users/${rnd(100)}` }), [200]],
    [4, "fan-out", () => ({ path: `/v1/dashboard/${rnd(1000)}` }), [200]],
    [4, "transform", () => ({ path: `/v1/profile/users/${rnd(1000)}` }), [200]],
    [3, "graphql", () => ({ method: "POST", path: "/v1/graphql", headers: json, body: JSON.stringify({ query: `{ book(id: "${1 + rnd(3)}") { title } }` }) }), [200]],
    [3, "validation failure", () => ({ method: "POST", path: "/v1/signups", headers: json, body: JSON.stringify({ email: `x${rnd(1e6)}` }) }), [422]],
    [2, "not found", () => ({ path: `/v1/nope/${rnd(1e6)}` }), [404]],
    [2, "path trick", () => ({ path: pick(["/v1/users/..%2f..%2fadmin", "/v1/./users/%2e%2e/me", `/v1/users/${rnd(9)}%00`, "/v1//me"]) }), [400, 401, 404]], // 401: normalised onto /v1/me, whose JWT policy applies
    [2, "bad token", () => ({ path: "/v1/me", headers: { authorization: `Bearer ${pick(tokens).slice(0, -4)}AAAA` } }), [401]],
    [1, "no token", () => ({ path: "/v1/me" }), [401]],
  ];
  const only = process.env.SOAK_ONLY?.split(",");
  const chosen = only ? mix.filter(([, cls]) => only.some((o) => cls.includes(o))) : mix;
  if (!chosen.length) throw new Error(`SOAK_ONLY=${process.env.SOAK_ONLY} matches no traffic class`);
  return { mix: chosen, kv, total: chosen.reduce((n, [w]) => n + w, 0) };
}

function choose({ mix, total }) {
  let x = rnd(total);
  for (const row of mix) { if ((x -= row[0]) < 0) return row; }
  return mix[0];
}

function send(agent, req) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const r = http.request({ host: "127.0.0.1", port: PORT, agent, method: req.method ?? "GET", path: req.path, headers: req.headers }, (res) => {
      res.on("data", () => {});
      res.on("end", () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
      res.on("error", () => resolve({ status: "cut", ms: performance.now() - t0 }));
    });
    r.on("error", (e) => resolve({ status: `error ${e.code ?? e.message}`, ms: performance.now() - t0 }));
    r.setTimeout(30000, () => r.destroy(new Error("client timeout 30s")));
    if (req.body) r.write(req.body);
    r.end();
  });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  fs.mkdirSync(WORK, { recursive: true });
  fs.mkdirSync(RESULTS, { recursive: true });
  const out = path.join(WORK, "gatehouse-example");
  const reuse = process.env.SOAK_REUSE_BUILD === "1" && fs.existsSync(path.join(out, "index.js"));
  const build = reuse
    ? gatehouseBuild(out)
    : buildGatehouse(out, path.join(ROOT, "routes"), say);
  const origin = await startOrigin();
  const idp = await startIdp();
  const dead = `http://127.0.0.1:${await deadPort()}`;
  const traffic = makeMix(idp);
  const config = workerdConfig(build, PORT, {
    text: {
      ECHO_ORIGIN: origin.url, POOL_A: origin.url, POOL_B: dead, POOL_C: origin.url, SHADOW: origin.url, IDP_ORIGIN: idp.url,
      JWT_SECRET: crypto.randomBytes(32).toString("base64url"), ADMIN_TOKEN: crypto.randomBytes(32).toString("base64url"),
    },
    kv: traffic.kv,
    analytics: true,
    cacheMaxEntries: 20000,
  });
  say(`starting workerd on 127.0.0.1:${PORT} (inspector ${INSPECTOR}); ${opt.minutes} min, ${opt.connections} in flight`);
  const child = start(WORKERD, ["serve", "--experimental", `--inspector-addr=127.0.0.1:${INSPECTOR}`, config]);
  await waitReady(PORT, child, "/v1/users/1");
  const insp = await inspector(INSPECTOR);
  say(`inspecting ${insp.target}`);

  const agent = new http.Agent({ keepAlive: true, maxSockets: opt.connections });
  const t0 = performance.now();
  const endAt = t0 + opt.minutes * 60_000;
  const minutes = []; // per minute: { latencies: [], statuses: {} }
  const byClass = {}; // class -> { status -> count }
  const unexpected = {}; // "class status" -> count
  let running = true;
  const worker = async () => {
    while (running) {
      const [, cls, make, expected] = choose(traffic);
      const res = await send(agent, make());
      const m = Math.floor((performance.now() - t0) / 60_000);
      const bucket = (minutes[m] ??= { latencies: [], statuses: {} });
      bucket.latencies.push(res.ms);
      bucket.statuses[res.status] = (bucket.statuses[res.status] ?? 0) + 1;
      const c = (byClass[cls] ??= {});
      c[res.status] = (c[res.status] ?? 0) + 1;
      if (!expected.includes(res.status)) unexpected[`${cls} ${res.status}`] = (unexpected[`${cls} ${res.status}`] ?? 0) + 1;
    }
  };
  const workers = Array.from({ length: opt.connections }, worker);

  const samples = [];
  const takeSample = async () => {
    const at = (performance.now() - t0) / 1000;
    const s = await insp.sample();
    samples.push({ t_s: Math.round(at), heap_used: s.heapUsed, heap_total: s.heapTotal, wasm: s.wasm, rss: rssBytes(child.pid) });
    origin.received.length = 0; // the demo origin records every request; keep its memory flat
    const last = samples.at(-1);
    say(`t=${last.t_s}s heap ${mib(last.heap_used)} MiB, wasm ${mib(last.wasm)} MiB, rss ${mib(last.rss)} MiB, requests ${minutes.reduce((n, b) => n + (b?.latencies.length ?? 0), 0)}`);
  };
  await takeSample();
  while (performance.now() < endAt) {
    if (child.exitCode !== null) throw new Error(`workerd exited: ${child.stderrTail()}`);
    await sleep(Math.min(opt.sampleS * 1000, endAt - performance.now()));
    await takeSample();
  }
  running = false;
  await Promise.all(workers);
  agent.destroy();
  insp.close();
  await stop(child);
  await origin.close();
  await idp.close();

  // ---- report
  const perMinute = minutes.filter(Boolean).map((b, i) => {
    const sorted = b.latencies.sort((a, c) => a - c);
    return { minute: i + 1, requests: sorted.length, p50_ms: r2(pct(sorted, 50)), p99_ms: r2(pct(sorted, 99)), statuses: b.statuses };
  });
  // Caches fill to their caps during warm-up (the hot tier's 8 MiB at about 80 new entries a
  // second takes about 2 minutes), and some are cleared whole at their cap, so the reference
  // is the most memory reached between the first minute and SOAK_WARM_S, and the check is
  // that nothing after it goes further than the bound.
  const memory = (s) => s.heap_used + s.wasm;
  const warm = samples.filter((s) => s.t_s >= 60 && s.t_s <= opt.warmS);
  const baselineBytes = warm.length ? Math.max(...warm.map(memory)) : memory(samples.at(-1));
  const after = samples.filter((s) => s.t_s > opt.warmS);
  const peak = after.reduce((m, s) => Math.max(m, memory(s)), baselineBytes);
  // Whole minutes only (the last bucket holds the requests still in flight at the end).
  const fullMinutes = perMinute.filter((m) => m.minute <= Math.floor(opt.minutes));
  const refMinute = fullMinutes[1] ?? fullMinutes[0];
  const worstP99 = fullMinutes.slice(1).reduce((m, x) => Math.max(m, x.p99_ms), 0);
  const checks = {
    memory: { baseline_mib: mib(baselineBytes), peak_after_mib: mib(peak), ratio: r2(peak / baselineBytes), bound: opt.heapBound, ok: peak <= baselineBytes * opt.heapBound },
    unexpected: { count: Object.values(unexpected).reduce((a, b) => a + b, 0), by: unexpected, ok: Object.keys(unexpected).length === 0 },
    latency: { reference_p99_ms: refMinute?.p99_ms, worst_p99_ms: r2(worstP99), ratio: r2(worstP99 / refMinute?.p99_ms), bound: opt.p99Bound, ok: worstP99 <= refMinute.p99_ms * opt.p99Bound },
  };
  const report = { date: new Date().toISOString(), options: opt, checks, per_minute: perMinute, by_class: byClass, samples };
  fs.writeFileSync(path.join(RESULTS, "soak.json"), JSON.stringify(report, null, 2));
  const md = markdown(report);
  fs.writeFileSync(path.join(RESULTS, "soak.md"), md + "\n");
  console.log(md);
  const ok = Object.values(checks).every((c) => c.ok);
  say(ok ? "passed" : "FAILED: see the checks above");
  process.exit(ok ? 0 : 1);
}

function markdown(r) {
  const c = r.checks;
  const L = [];
  L.push(`Soak ${r.date}: ${r.options.minutes} min, ${r.options.connections} requests in flight, example routes on workerd.`, "");
  L.push("| check | measured | bound | result |", "| --- | ---: | ---: | --- |");
  L.push(`| isolate memory (V8 heap after GC + wasm): peak after ${r.options.warmS} s / peak between 60 s and ${r.options.warmS} s | ${c.memory.peak_after_mib} / ${c.memory.baseline_mib} MiB = ${c.memory.ratio}x | ${c.memory.bound}x | ${c.memory.ok ? "pass" : "FAIL"} |`);
  L.push(`| answers outside each class's expected statuses | ${c.unexpected.count} | 0 | ${c.unexpected.ok ? "pass" : `FAIL ${JSON.stringify(c.unexpected.by)}`} |`);
  L.push(`| worst minute's p99 / minute 2's p99 | ${c.latency.worst_p99_ms} / ${c.latency.reference_p99_ms} ms = ${c.latency.ratio}x | ${c.latency.bound}x | ${c.latency.ok ? "pass" : "FAIL"} |`);
  L.push("", "| minute | requests | p50 ms | p99 ms | statuses |", "| ---: | ---: | ---: | ---: | --- |");
  for (const m of r.per_minute) L.push(`| ${m.minute} | ${m.requests} | ${m.p50_ms} | ${m.p99_ms} | ${Object.entries(m.statuses).map(([k, v]) => `${k}: ${v}`).join(", ")} |`);
  L.push("", "| t (s) | V8 heap used after GC MiB | wasm memory MiB | workerd RSS MiB |", "| ---: | ---: | ---: | ---: |");
  for (const s of r.samples) L.push(`| ${s.t_s} | ${mib(s.heap_used)} | ${mib(s.wasm)} | ${mib(s.rss)} |`);
  L.push("", "| class | statuses |", "| --- | --- |");
  for (const [cls, st] of Object.entries(r.by_class)) L.push(`| ${cls} | ${Object.entries(st).map(([k, v]) => `${k}: ${v}`).join(", ")} |`);
  return L.join("\n");
}

main().catch((e) => { console.error(e); process.exit(1); });

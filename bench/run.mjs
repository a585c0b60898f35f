// Gatehouse benchmark: each scenario against each system in ONE run, systems alternating
// (A B C A B C ...) so machine drift hits all equally. wrk on loopback, fixed connections and
// duration, a warm-up per system, several rounds; medians reported with ratios.
//
//   node bench/run.mjs            (make bench runs it after installing wrk and nginx-light)
//
// Environment: BENCH_CONNECTIONS (16), BENCH_THREADS (2), BENCH_DURATION seconds (10),
// BENCH_WARMUP seconds (3), BENCH_ROUNDS (3), BENCH_COLD_STARTS (5),
// BENCH_SCENARIOS (S1,S2,S3,A1,A2,A3,A4,A5,R1,L1,F1,T1,C1,V1,P1,G1),
// BENCH_SKIP_NATIVE=1 skips the criterion micro-benchmarks.
// BENCH_SWEEP=1,16,64,256 runs each scenario once per connection count instead (wrk -t1 below
// two connections) and reports throughput, p99 and errors per count (RELIABILITY.md).
// BENCH_GC_SLOTS=0,1024,4096,16384 builds Gatehouse once per `[gateway] gc_pace_slots` value
// and runs each scenario on those builds only (systems gatehouse-gc<N>, alternating), reported
// in bench/results/gc-sweep.md (BENCHMARKS.md, "GC pacing").
// BENCH_BEFORE_BUILD=<dir> adds "gatehouse-before" to every scenario that runs "gatehouse": the
// `wrangler deploy --dry-run --outdir <dir>` output of another commit (built with
// GATEHOUSE_ROUTES=bench/routes), measured on the same paths in the same run - an A/B of two
// builds without run-to-run noise.
//
// To add a scenario: add a row to SCENARIOS (its route-table variant decides which builds it
// uses); add a variant to VARIANTS if it needs other routes or peer code.
import { spawnSync, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import crypto from "node:crypto";
import { generateKey, makeToken } from "../scripts/test-idp.mjs";
import * as workerd from "./workerd.mjs";
import { ROOT, WORK, WORKERD, sleep, start, stop, get, waitReady, cpuMicros } from "./workerd.mjs";

const RESULTS = path.join(ROOT, "bench/results");
const ESBUILD = path.join(ROOT, "node_modules/.bin/esbuild");

const opt = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
  threads: Number(process.env.BENCH_THREADS ?? 2),
  duration: Number(process.env.BENCH_DURATION ?? 10),
  warmup: Number(process.env.BENCH_WARMUP ?? 3),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  coldStarts: Number(process.env.BENCH_COLD_STARTS ?? 5),
  scenarios: (process.env.BENCH_SCENARIOS ?? "S1,S2,S3,A1,A2,A3,A4,A5,R1,L1,F1,T1,C1,V1,P1,G1").split(","),
  native: process.env.BENCH_SKIP_NATIVE !== "1",
  beforeBuild: process.env.BENCH_BEFORE_BUILD,
  sweep: process.env.BENCH_SWEEP ? process.env.BENCH_SWEEP.split(",").map(Number) : null,
  gcSlots: process.env.BENCH_GC_SLOTS ? process.env.BENCH_GC_SLOTS.split(",").map(Number) : null,
};

const PORTS = { origin: 18080, nginx: 18081, "js-minimal": 18082, gatehouse: 18083, hono: 18084, "gatehouse-nocache": 18085, "gatehouse-leased": 18086, "gatehouse-uncached": 18087, "gatehouse-before": 18088, "gatehouse-s1": 18089 };
const ALL_SYSTEMS = ["origin", "js-minimal", "gatehouse", "hono", "nginx"];
const S3_ROUTES = 1000;

/** Route-table variants: what each system is built with. */
const VARIANTS = {
  small: { gatehouseRoutes: path.join(ROOT, "bench/routes"), honoRouteCount: 0, nginxS3: false },
  "1k": { gatehouseRoutes: path.join(WORK, "routes-1k"), honoRouteCount: S3_ROUTES, nginxS3: true },
};

/**
 * Credentials for the authentication scenarios, made fresh each run: an HMAC secret, one key
 * pair per public-key algorithm (the JWKS is served by the origin), and one API key in KV.
 */
const AUTH = (() => {
  const secret = crypto.randomBytes(32).toString("base64url");
  const keys = Object.fromEntries(["RS256", "ES256", "EdDSA"].map((alg) => [alg, generateKey(alg)]));
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: "https://id.bench/", aud: "bench", sub: "bench-user", iat: now, exp: now + 6 * 3600 };
  const tokens = { HS256: makeToken(claims, { alg: "HS256", key: secret }) };
  for (const [alg, k] of Object.entries(keys)) tokens[alg] = makeToken(claims, { alg, kid: k.kid, key: k.privateKey });
  const apiKey = `gh_${crypto.randomBytes(32).toString("base64url")}`;
  const kv = { [`sha256:${crypto.createHash("sha256").update(apiKey).digest("hex")}`]: JSON.stringify({ id: "bench-consumer", name: "Bench", plan: "gold", scopes: [], enabled: true }) };
  return { secret, tokens, apiKey, kv, jwks: JSON.stringify({ keys: Object.values(keys).map((k) => k.jwk) }) };
})();
const bearer = (alg) => ({ authorization: `Bearer ${AUTH.tokens[alg]}` });
// "gatehouse-nocache" is the same build on another port, measured on the route whose policy
// has `token_cache_ttl = "0s"`: cache on and off alternate in one scenario like any two systems.
const JWT_SYSTEMS = ["gatehouse", "gatehouse-nocache", "hono"];
const NOCACHE = (p) => ({ "gatehouse-nocache": p });

/**
 * Scenarios. `expect` checks one response before measuring, so no system is timed answering
 * errors; `credential` scenarios must also refuse the request without their headers;
 * `expectHeader` must be on the response (e.g. proof that a rate limit was decided).
 */
const SCENARIOS = [
  { id: "S1", title: "plain proxied GET (small JSON)", variant: "small", method: "GET", path: "/v1/users/42", expect: "Ada" },
  { id: "S2", title: "proxied POST, 64 KiB body", variant: "small", method: "POST", path: "/v1/upload", bodyBytes: 65536 },
  { id: "S3", title: `${S3_ROUTES.toLocaleString("en")}-route table, hit route in the middle`, variant: "1k", method: "GET", path: `/v1/svc${S3_ROUTES / 2}/items/42`, expect: "Ada" },
  { id: "A1", title: "HS256 JWT", variant: "small", method: "GET", path: "/v1/hs256/users/42", paths: NOCACHE("/v1/hs256-nocache/users/42"), headers: bearer("HS256"), systems: JWT_SYSTEMS, credential: true, expect: "Ada" },
  { id: "A2", title: "RS256 JWT (JWKS)", variant: "small", method: "GET", path: "/v1/jwt/users/42", paths: NOCACHE("/v1/jwt-nocache/users/42"), headers: bearer("RS256"), systems: JWT_SYSTEMS, credential: true, expect: "Ada" },
  { id: "A3", title: "ES256 JWT (JWKS)", variant: "small", method: "GET", path: "/v1/jwt/users/42", paths: NOCACHE("/v1/jwt-nocache/users/42"), headers: bearer("ES256"), systems: JWT_SYSTEMS, credential: true, expect: "Ada" },
  { id: "A4", title: "EdDSA JWT (JWKS)", variant: "small", method: "GET", path: "/v1/jwt/users/42", paths: NOCACHE("/v1/jwt-nocache/users/42"), headers: bearer("EdDSA"), systems: JWT_SYSTEMS, credential: true, expect: "Ada" },
  { id: "A5", title: "API key (SHA-256 + KV lookup)", variant: "small", method: "GET", path: "/v1/key/users/42", headers: { "x-api-key": AUTH.apiKey }, systems: ["gatehouse", "hono"], credential: true, expect: "Ada" },
  { id: "R1", title: "rate limit per client (fixed window, never exceeded): exact vs leased vs hono + DO", variant: "small", method: "GET", path: "/v1/rl-exact/users/42", paths: { "gatehouse-leased": "/v1/rl-leased/users/42", hono: "/v1/rl/users/42" }, headers: { "x-client": "bench-client" }, systems: ["gatehouse", "gatehouse-leased", "hono"], expect: "Ada", expectHeader: "ratelimit" },
  { id: "L1", title: "S1 through a two-target pool with retries and a breaker, nothing failing", variant: "small", method: "GET", path: "/v1/pool/users/42", paths: { "gatehouse-s1": "/v1/users/42", hono: "/v1/users/42" }, systems: ["gatehouse", "gatehouse-s1", "hono"], expect: "Ada" },
  { id: "F1", title: "fan-out: three parts merged into one JSON answer vs hono Promise.all", variant: "small", method: "GET", path: "/v1/agg/42", systems: ["gatehouse", "hono"], expect: "Ada" },
  { id: "T1", title: "response JSON transform (rename, remove, mask) vs the same in hono", variant: "small", method: "GET", path: "/v1/shaped/users/42", systems: ["gatehouse", "hono"], expect: "displayName" },
  { id: "V1", title: "JSON body validated against a compiled JSON Schema vs the same POST unvalidated", variant: "small", method: "POST", path: "/v1/signups", paths: { "gatehouse-s1": "/v1/signups-plain" }, json: { email: "ada@example.com", name: "Ada Lovelace", plan: "gold", age: 36, tags: ["math", "engines"], address: { country: "GB", city: "London" } }, systems: ["gatehouse", "gatehouse-s1"] },
  { id: "P1", title: "REST GET transcoded to a Connect unary call (1 KiB message) vs S1, the plain proxied GET", variant: "small", method: "GET", path: "/v1/rpc/users/42", paths: { "gatehouse-s1": "/v1/users/42" }, systems: ["gatehouse", "gatehouse-s1"], expect: "Ada" },
  { id: "G1", title: "GraphQL POST held to a graphql policy's limits vs the same POST proxied plain", variant: "small", method: "POST", path: "/v1/graphql", paths: { "gatehouse-s1": "/v1/graphql-plain" }, json: { query: "query Book($id: ID!) { book(id: $id) { id title author { name books(first: 5) { title } } reviews(first: 3) { stars } } }", operationName: "Book", variables: { id: "42" } }, systems: ["gatehouse", "gatehouse-s1"], expect: "Ada" },
  { id: "C1", title: "cache hit: gatehouse cache policy vs hono/cache vs the uncached proxy path", variant: "small", method: "GET", path: "/v1/cached/users/42", paths: { "gatehouse-uncached": "/v1/users/42", hono: "/v1/cached/users/42", origin: "/internal/users/42" }, systems: ["origin", "gatehouse", "gatehouse-uncached", "hono"], expect: "Ada", expectHit: { gatehouse: ["cache-status", /; hit;/] } },
].filter((s) => opt.scenarios.includes(s.id));

const say = (...a) => console.error("[bench]", ...a);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const round = (x, d = 1) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);

// ---------------------------------------------------------------------------------------------
// Builds

function gatehouseRoutes1k() {
  const dir = VARIANTS["1k"].gatehouseRoutes;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "v1"), { recursive: true });
  fs.copyFileSync(path.join(ROOT, "bench/routes/gateway.toml"), path.join(dir, "gateway.toml"));
  let toml = "";
  for (let i = 0; i < S3_ROUTES; i++) {
    toml += `[[route]]\nid = "svc${i}"\nmethods = ["GET"]\npath = "/svc${i}/items/{id}"\nupstream = "origin"\nrewrite = "/internal/svc${i}/items/{id}"\n\n`;
  }
  fs.writeFileSync(path.join(dir, "v1/routes.toml"), toml);
}

/** `wrangler deploy --dry-run` with the variant's routes: exactly what a deploy uploads. */
function buildGatehouse(variant) {
  return workerd.buildGatehouse(path.join(WORK, `gatehouse-${variant}`), VARIANTS[variant].gatehouseRoutes, say);
}

/** Bundled with esbuild, as wrangler does for a JS worker. */
function buildHono(variant) {
  const out = path.join(WORK, `hono-${variant}`);
  fs.mkdirSync(out, { recursive: true });
  execFileSync(ESBUILD, [
    path.join(ROOT, "bench/peers/hono/index.js"), "--bundle", "--format=esm", "--platform=neutral",
    "--main-fields=module,main", "--conditions=workerd,worker,browser", "--minify", "--external:cloudflare:workers",
    `--define:ROUTE_COUNT=${VARIANTS[variant].honoRouteCount}`, `--outfile=${path.join(out, "index.js")}`,
  ], { stdio: ["ignore", "ignore", "inherit"] });
  return { dir: out, modules: [{ name: "index.js", type: "esModule" }], durableObjects: [["RATE_LIMITER", "Limiter"]] };
}

function buildJsMinimal() {
  const out = path.join(WORK, "js-minimal");
  fs.mkdirSync(out, { recursive: true });
  fs.copyFileSync(path.join(ROOT, "bench/peers/js-minimal/worker.js"), path.join(out, "index.js"));
  return { dir: out, modules: [{ name: "index.js", type: "esModule" }] };
}

function nginxConf(template, prefix, port, variant) {
  let s3 = "";
  if (variant && VARIANTS[variant].nginxS3) {
    for (let i = 0; i < S3_ROUTES; i++) {
      s3 += `    location ^~ /v1/svc${i}/items/ { limit_except GET { deny all; } proxy_pass http://origin/internal/svc${i}/items/; }\n`;
    }
  }
  fs.mkdirSync(prefix, { recursive: true });
  const conf = fs.readFileSync(path.join(ROOT, "bench/peers/nginx", template), "utf8")
    .replaceAll("__PREFIX__", prefix).replaceAll("__PORT__", String(port))
    .replaceAll("__ORIGIN_PORT__", String(PORTS.origin)).replaceAll("__S3_LOCATIONS__", s3);
  const file = path.join(prefix, "nginx.conf");
  fs.writeFileSync(file, conf);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Processes

/** The benchmark's workerd config for `build` on `port`: the origin, the HMAC secret, the API key. */
function workerdConfig(build, port) {
  return workerd.workerdConfig(build, port, { text: { ORIGIN: `http://127.0.0.1:${PORTS.origin}`, JWT_SECRET: AUTH.secret }, kv: AUTH.kv });
}

// ---------------------------------------------------------------------------------------------
// wrk

function wrkScript(scenario) {
  if (!scenario.bodyBytes && !scenario.json) return null;
  const file = path.join(WORK, `${scenario.id}.lua`);
  const body = scenario.json ? JSON.stringify(JSON.stringify(scenario.json)) : `string.rep("a", ${scenario.bodyBytes})`;
  const type = scenario.json ? "application/json" : "application/octet-stream";
  fs.writeFileSync(file, `wrk.method = "${scenario.method}"\nwrk.body = ${body}\nwrk.headers["Content-Type"] = "${type}"\n`);
  return file;
}

function toMs(v) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v);
  if (!m) return null;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60000 }[m[2]];
}

/**
 * P1's answer: a `bench.v1.User` (bench/routes/protos/bench.proto) of about 1 KiB, encoded by
 * hand (length-delimited strings, one varint).
 */
function userMessage() {
  const field = (n, text) => {
    const b = Buffer.from(text);
    const len = b.length < 128 ? [b.length] : [(b.length & 0x7f) | 0x80, b.length >> 7];
    return Buffer.concat([Buffer.from([(n << 3) | 2, ...len]), b]);
  };
  const bio = "Ada Lovelace wrote the first published algorithm for a machine. ".repeat(16).slice(0, 968);
  return Buffer.concat([
    field(1, "42"), field(2, "Ada Lovelace"), field(3, "ada@example.com"), field(4, "admin"), field(4, "dev"),
    Buffer.from([5 << 3, 0x80, 0xd0, 0xac, 0xf3, 0x0e]), field(6, bio),
  ]);
}

/** The path a system is measured on: the scenario's, unless it names another for that system. */
function pathFor(scenario, name) {
  return scenario.paths?.[name] ?? scenario.path;
}

function wrk(port, scenario, seconds, name) {
  const args = ["-t", String(Math.min(opt.threads, opt.connections)), "-c", String(opt.connections), "-d", `${seconds}s`, "--latency"];
  const script = wrkScript(scenario);
  if (script) args.push("-s", script);
  for (const [k, v] of Object.entries(scenario.headers ?? {})) args.push("-H", `${k}: ${v}`);
  args.push(`http://127.0.0.1:${port}${pathFor(scenario, name)}`);
  const out = execFileSync("wrk", args).toString();
  const num = (re) => { const m = re.exec(out); return m ? m[1] : null; };
  return {
    rps: Number(num(/Requests\/sec:\s+([\d.]+)/)),
    requests: Number(num(/(\d+) requests in/)),
    p50: toMs(num(/\n\s+50%\s+(\S+)/)),
    p99: toMs(num(/\n\s+99%\s+(\S+)/)),
    errors: Number(num(/Non-2xx or 3xx responses: (\d+)/) ?? 0) +
      (/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1).reduce((a, b) => a + Number(b), 0) ?? 0),
  };
}

// ---------------------------------------------------------------------------------------------
// Run

async function startSystem(name, builds, variant) {
  const port = PORTS[name];
  if (name === "origin") return null; // started once for the whole run
  if (name === "nginx") {
    const prefix = path.join(WORK, `nginx-proxy-${variant}`);
    const child = start("nginx", ["-p", prefix, "-c", nginxConf("proxy.conf.template", prefix, port, variant), "-e", path.join(prefix, "error.log")]);
    await waitReady(port, child);
    return child;
  }
  let build = builds[name.startsWith("gatehouse") ? "gatehouse" : name];
  if (name.startsWith("gatehouse-gc")) build = builds[name];
  if (name === "gatehouse-before") build = workerd.gatehouseBuild(path.resolve(opt.beforeBuild));
  const child = start(WORKERD, ["serve", workerdConfig(build, port)]);
  await waitReady(port, child);
  return child;
}

async function runScenario(scenario, builds, origin) {
  say(`${scenario.id}: ${scenario.title}`);
  const listed = opt.gcSlots ? opt.gcSlots.map((n) => `gatehouse-gc${n}`) : scenario.systems ?? ALL_SYSTEMS;
  // The other build runs right after "gatehouse", on the same path and with the same checks.
  const SYSTEMS = opt.beforeBuild && listed.includes("gatehouse")
    ? listed.flatMap((n) => (n === "gatehouse" ? ["gatehouse", "gatehouse-before"] : [n]))
    : listed;
  const procs = {};
  for (const name of SYSTEMS) procs[name] = name === "origin" ? origin : await startSystem(name, builds[scenario.variant], scenario.variant);
  const body = scenario.json ? JSON.stringify(scenario.json) : scenario.bodyBytes ? "a".repeat(scenario.bodyBytes) : undefined;
  const headers = scenario.json ? { "content-type": "application/json", ...scenario.headers } : scenario.headers;
  for (const name of SYSTEMS) {
    const res = await get(PORTS[name], pathFor(scenario, name), scenario.method, body, headers);
    if (res.status !== 200 || (scenario.expect && !res.text.includes(scenario.expect))) {
      throw new Error(`${scenario.id} ${name}: expected 200${scenario.expect ? ` with "${scenario.expect}"` : ""}, got ${res.status}: ${res.text.slice(0, 300)}`);
    }
    const hit = scenario.expectHit?.[name === "gatehouse-before" ? "gatehouse" : name];
    if (hit) {
      // Cache scenarios measure hits: the second request must be one.
      await sleep(100);
      const again = await get(PORTS[name], pathFor(scenario, name), scenario.method, body, headers);
      const [header, re] = hit;
      if (!re.test(again.headers[header] ?? "")) throw new Error(`${scenario.id} ${name}: second request not a cache hit: ${JSON.stringify(again.headers)}`);
    }
    if (scenario.expectHeader && !res.headers[scenario.expectHeader]) {
      throw new Error(`${scenario.id} ${name}: expected a ${scenario.expectHeader} header, got ${JSON.stringify(res.headers)}`);
    }
    if (scenario.credential) {
      // The credential matters: without it every system must refuse the request.
      const anon = await get(PORTS[name], pathFor(scenario, name), scenario.method, body);
      if (anon.status !== 401) throw new Error(`${scenario.id} ${name}: expected 401 without credentials, got ${anon.status}`);
    }
  }
  for (const name of SYSTEMS) {
    say(`  warm-up ${name} (${opt.warmup}s)`);
    wrk(PORTS[name], scenario, opt.warmup, name);
  }
  const samples = Object.fromEntries(SYSTEMS.map((s) => [s, []]));
  for (let r = 1; r <= opt.rounds; r++) {
    for (const name of SYSTEMS) {
      const pid = procs[name].pid;
      const before = cpuMicros(pid);
      const w = wrk(PORTS[name], scenario, opt.duration, name);
      const cpu = cpuMicros(pid) - before;
      samples[name].push({ ...w, cpuPerReq: w.requests ? cpu / w.requests : null });
      say(`  round ${r} ${name.padEnd(10)} ${Math.round(w.rps)} req/s  p50 ${round(w.p50, 2)}ms  p99 ${round(w.p99, 2)}ms  cpu ${round(cpu / w.requests)}us/req${w.errors ? `  ERRORS ${w.errors}` : ""}`);
    }
  }
  for (const name of SYSTEMS) if (name !== "origin") await stop(procs[name]);
  const result = {};
  for (const name of SYSTEMS) {
    const s = samples[name];
    result[name] = {
      rps: round(median(s.map((x) => x.rps)), 0),
      p50_ms: round(median(s.map((x) => x.p50)), 2),
      p99_ms: round(median(s.map((x) => x.p99)), 2),
      cpu_us_per_req: round(median(s.map((x) => x.cpuPerReq))),
      errors: s.reduce((a, x) => a + x.errors, 0),
      rounds: s,
    };
  }
  return result;
}

async function coldStarts(builds) {
  const out = {};
  for (const name of ["js-minimal", "gatehouse", "hono"]) {
    const times = [];
    for (let i = 0; i < opt.coldStarts; i++) {
      const port = 18100 + i;
      const config = workerdConfig(builds.small[name], port);
      const t0 = performance.now();
      const child = start(WORKERD, ["serve", config]);
      let res;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`workerd exited: ${child.stderrTail()}`);
        try { res = await get(port, "/v1/users/42"); if (res.status === 200) break; } catch {}
        await sleep(2);
      }
      times.push(performance.now() - t0);
      await stop(child);
    }
    out[name] = { median_ms: round(median(times)), samples_ms: times.map((t) => round(t)) };
  }
  return out;
}

function sizes(builds) {
  const g = builds.small.gatehouse;
  const wasm = fs.readFileSync(path.join(g.dir, g.modules[1].name));
  const js = fs.readFileSync(path.join(g.dir, "index.js"));
  const hono = fs.readFileSync(path.join(builds.small.hono.dir, "index.js"));
  const gz = (b) => zlib.gzipSync(b, { level: 9 }).length;
  return {
    wasm_bytes: wasm.length, wasm_gzip_bytes: gz(wasm),
    bundle_bytes: wasm.length + js.length, bundle_gzip_bytes: gz(wasm) + gz(js),
    hono_bundle_bytes: hono.length, hono_bundle_gzip_bytes: gz(hono),
  };
}

function nativeBenches() {
  say("native criterion micro-benchmarks (cargo bench --bench native)");
  execFileSync("cargo", ["bench", "--bench", "native"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const read = (id) => {
    const f = path.join(ROOT, "target/criterion", id, "new/estimates.json");
    const e = JSON.parse(fs.readFileSync(f, "utf8"));
    return { mean_ns: round(e.mean.point_estimate, 0), ci95_ns: [round(e.mean.confidence_interval.lower_bound, 0), round(e.mean.confidence_interval.upper_bound, 0)] };
  };
  return {
    route_match_10: read("route_match/10"),
    route_match_1000: read("route_match/1000"),
    route_match_10000: read("route_match/10000"),
    build_compile_10000: read("build_compile/10000"),
  };
}

function machine() {
  // Version banners go to stdout or stderr, and `wrk -v` exits 1: take whichever has text.
  const v = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0] || null;
  };
  return {
    cpu: os.cpus()[0]?.model, cores: os.cpus().length, memory_gib: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(), node: process.version,
    workerd: v(WORKERD, ["--version"]), nginx: v("nginx", ["-v"]), wrk: v("wrk", ["-v"]),
  };
}

function ratio(a, b) { return a && b ? round(a / b, 2) : null; }

function markdown(report) {
  const lines = [];
  lines.push(`Run ${report.date} on ${report.machine.cpu} (${report.machine.cores} cores); wrk -t${opt.threads} -c${opt.connections}, ${opt.duration}s x ${opt.rounds} rounds after a ${opt.warmup}s warm-up per system; medians. All systems on workerd directly except origin and nginx.`);
  for (const sc of SCENARIOS) {
    const r = report.scenarios[sc.id];
    if (!r) continue;
    const alt = Object.entries(sc.paths ?? {}).map(([k, v]) => `; ${k}: \`${v}\``).join("");
    lines.push("", `### ${sc.id}: ${sc.title} (\`${sc.method} ${sc.path}\`${alt})`, "");
    lines.push("| system | req/s | p50 ms | p99 ms | workerd/nginx CPU us/req | req/s vs js-minimal | req/s vs hono | errors |");
    lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const name of Object.keys(r)) {
      const x = r[name];
      const cpu = name === "origin" ? "-" : x.cpu_us_per_req;
      lines.push(`| ${name} | ${x.rps} | ${x.p50_ms} | ${x.p99_ms} | ${cpu} | ${ratio(x.rps, r["js-minimal"]?.rps) ?? "-"} | ${ratio(x.rps, r.hono?.rps) ?? "-"} | ${x.errors} |`);
    }
    const g = r.gatehouse, j = r["js-minimal"], h = r.hono;
    const vsJs = j ? `gatehouse / js-minimal: throughput ${ratio(g.rps, j.rps)}x, p99 ${ratio(g.p99_ms, j.p99_ms)}x, CPU ${ratio(g.cpu_us_per_req, j.cpu_us_per_req)}x. ` : "";
    const n = r["gatehouse-nocache"];
    const vsNocache = n ? ` gatehouse-nocache / hono: throughput ${ratio(n.rps, h.rps)}x, CPU ${ratio(n.cpu_us_per_req, h.cpu_us_per_req)}x. Token cache saves ${round(n.cpu_us_per_req - g.cpu_us_per_req)} us CPU/request (${round(100 * (1 - g.cpu_us_per_req / n.cpu_us_per_req), 0)}%).` : "";
    const u = r["gatehouse-uncached"];
    const vsUncached = u ? ` Cache hit / uncached proxy (gatehouse): throughput ${ratio(g.rps, u.rps)}x, CPU ${ratio(g.cpu_us_per_req, u.cpu_us_per_req)}x.` : "";
    const l = r["gatehouse-leased"];
    const vsLeased = l ? ` gatehouse-leased / hono: throughput ${ratio(l.rps, h.rps)}x, p99 ${ratio(l.p99_ms, h.p99_ms)}x, CPU ${ratio(l.cpu_us_per_req, h.cpu_us_per_req)}x; leased / exact: throughput ${ratio(l.rps, g.rps)}x, CPU ${ratio(l.cpu_us_per_req, g.cpu_us_per_req)}x.` : "";
    const p = r["gatehouse-s1"];
    const vsPlain = p ? ` The scenario's route / its plain twin (gatehouse-s1): throughput ${ratio(g.rps, p.rps)}x, CPU ${ratio(g.cpu_us_per_req, p.cpu_us_per_req)}x (${round(g.cpu_us_per_req - p.cpu_us_per_req)} us/request).` : "";
    const vsHono = h ? `gatehouse / hono: throughput ${ratio(g.rps, h.rps)}x, p99 ${ratio(g.p99_ms, h.p99_ms)}x, CPU ${ratio(g.cpu_us_per_req, h.cpu_us_per_req)}x.` : "";
    lines.push("", `${vsJs}${vsHono}${vsNocache}${vsLeased}${vsUncached}${vsPlain}`.trim());
  }
  const s = report.sizes;
  lines.push("", "### Size and cold start", "");
  lines.push(`| measure | value |`, `| --- | ---: |`);
  lines.push(`| gatehouse wasm | ${(s.wasm_bytes / 1024).toFixed(1)} KiB raw, ${(s.wasm_gzip_bytes / 1024).toFixed(1)} KiB gzip |`);
  lines.push(`| gatehouse bundle (wasm + JS) | ${(s.bundle_bytes / 1024).toFixed(1)} KiB raw, ${(s.bundle_gzip_bytes / 1024).toFixed(1)} KiB gzip |`);
  lines.push(`| hono bundle | ${(s.hono_bundle_bytes / 1024).toFixed(1)} KiB raw, ${(s.hono_bundle_gzip_bytes / 1024).toFixed(1)} KiB gzip |`);
  for (const [name, c] of Object.entries(report.cold_start_ms)) {
    lines.push(`| cold start ${name} (workerd start -> first 200, median of ${opt.coldStarts}) | ${c.median_ms} ms |`);
  }
  if (report.native) {
    const n = report.native;
    lines.push("", "### Native micro-benchmarks (criterion, mean)", "");
    lines.push(`| benchmark | time |`, `| --- | ---: |`);
    lines.push(`| route match (normalise + match + rewrite), 10 routes | ${n.route_match_10.mean_ns} ns |`);
    lines.push(`| route match, 1,000 routes | ${n.route_match_1000.mean_ns} ns |`);
    lines.push(`| route match, 10,000 routes | ${n.route_match_10000.mean_ns} ns |`);
    lines.push(`| build-time compile (check + emit) of 10,000 routes | ${round(n.build_compile_10000.mean_ns / 1e6)} ms |`);
  }
  return lines.join("\n");
}

/** The concurrency sweep: one row per scenario, system and connection count. */
/** The bench routes with `[gateway] gc_pace_slots = slots`, built (for BENCH_GC_SLOTS). */
function buildGcVariant(slots) {
  const dir = path.join(WORK, `routes-gc${slots}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, "bench/routes"), dir, { recursive: true });
  const file = path.join(dir, "gateway.toml");
  fs.writeFileSync(file, `${fs.readFileSync(file, "utf8")}\n[gateway]\ngc_pace_slots = ${slots}\n`);
  return workerd.buildGatehouse(path.join(WORK, `gatehouse-gc${slots}`), dir, say);
}

function gcMarkdown(report) {
  const lines = [`GC pacing sweep ${report.date} on ${report.machine.cpu} (${report.machine.cores} cores); wrk -t${opt.threads} -c${opt.connections}, ${opt.duration}s x ${opt.rounds} rounds after a ${opt.warmup}s warm-up per build, builds alternating; medians.`, ""];
  lines.push("| scenario | gc_pace_slots | req/s | p50 ms | p99 ms | CPU us/req | errors |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const [id, r] of Object.entries(report.scenarios)) {
    for (const [name, x] of Object.entries(r)) lines.push(`| ${id} | ${name.replace("gatehouse-gc", "")} | ${x.rps} | ${x.p50_ms} | ${x.p99_ms} | ${x.cpu_us_per_req} | ${x.errors} |`);
  }
  return lines.join("\n");
}

function sweepMarkdown(report) {
  const lines = [`Sweep ${report.date} on ${report.machine.cpu} (${report.machine.cores} cores); wrk ${opt.duration}s x ${opt.rounds} rounds per count after a ${opt.warmup}s warm-up; medians.`, ""];
  lines.push("| scenario | system | connections | req/s | p50 ms | p99 ms | errors |", "| --- | --- | ---: | ---: | ---: | ---: | ---: |");
  for (const [key, r] of Object.entries(report.sweep)) {
    const [id, c] = key.split("@");
    for (const [name, x] of Object.entries(r)) lines.push(`| ${id} | ${name} | ${c} | ${x.rps} | ${x.p50_ms} | ${x.p99_ms} | ${x.errors} |`);
  }
  return lines.join("\n");
}

async function main() {
  fs.mkdirSync(WORK, { recursive: true });
  fs.mkdirSync(RESULTS, { recursive: true });
  gatehouseRoutes1k();
  const variants = [...new Set(["small", ...SCENARIOS.map((s) => s.variant)])];
  const builds = {};
  for (const v of variants) {
    builds[v] = { gatehouse: buildGatehouse(v), hono: buildHono(v), "js-minimal": buildJsMinimal() };
  }
  if (opt.gcSlots) {
    opt.gcSlots.forEach((n, i) => {
      PORTS[`gatehouse-gc${n}`] = 18090 + i;
      const build = buildGcVariant(n); // the bench routes (the "small" variant)
      for (const v of variants) builds[v][`gatehouse-gc${n}`] = build;
    });
  }
  const report = { date: new Date().toISOString(), machine: machine(), options: opt, scenarios: {} };

  const originPrefix = path.join(WORK, "nginx-origin");
  fs.mkdirSync(originPrefix, { recursive: true });
  fs.writeFileSync(path.join(originPrefix, "jwks.json"), AUTH.jwks);
  fs.writeFileSync(path.join(originPrefix, "user.binpb"), userMessage());
  const origin = start("nginx", ["-p", originPrefix, "-c", nginxConf("origin.conf.template", originPrefix, PORTS.origin), "-e", path.join(originPrefix, "error.log")]);
  await waitReady(PORTS.origin, origin);
  try {
    if (opt.sweep) {
      report.sweep = {};
      for (const sc of SCENARIOS) {
        for (const c of opt.sweep) {
          opt.connections = c;
          say(`${sc.id} with ${c} connection(s)`);
          report.sweep[`${sc.id}@${c}`] = await runScenario(sc, builds, origin);
        }
      }
      fs.writeFileSync(path.join(RESULTS, "sweep.json"), JSON.stringify(report, null, 2));
      fs.writeFileSync(path.join(RESULTS, "sweep.md"), sweepMarkdown(report) + "\n");
      console.log(sweepMarkdown(report));
      return;
    }
    if (opt.gcSlots) {
      for (const sc of SCENARIOS) report.scenarios[sc.id] = await runScenario(sc, builds, origin);
      fs.writeFileSync(path.join(RESULTS, "gc-sweep.json"), JSON.stringify(report, null, 2));
      fs.writeFileSync(path.join(RESULTS, "gc-sweep.md"), gcMarkdown(report) + "\n");
      console.log(gcMarkdown(report));
      return;
    }
    for (const sc of SCENARIOS) report.scenarios[sc.id] = await runScenario(sc, builds, origin);
    say("cold starts");
    report.cold_start_ms = await coldStarts(builds);
  } finally {
    await stop(origin);
  }
  report.sizes = sizes(builds);
  const save = () => {
    fs.writeFileSync(path.join(RESULTS, "latest.json"), JSON.stringify(report, null, 2));
    fs.writeFileSync(path.join(RESULTS, "latest.md"), markdown(report) + "\n");
  };
  save(); // the measurements are kept even if the native benchmarks fail
  if (opt.native) {
    report.native = nativeBenches();
    save();
  }
  console.log(markdown(report));
  say(`results: ${path.relative(ROOT, path.join(RESULTS, "latest.json"))} and latest.md`);
}

main().catch((e) => { console.error(e); process.exit(1); });

// AI1 (issue 29): a streamed chat completion of 200 chunks through Gatehouse against the
// provider double called directly - the time to first byte the gateway adds and its CPU per
// chunk - beside a hand-written pass-through worker, in one run. BENCHMARKS.md, "AI1".
//
//   make bench-ai1            (node bench/ai1.mjs; ~2 minutes plus the wasm build)
//
// Systems, alternating in every round (A B C ... A B C ...):
//   direct-openai       the double's POST /v1/chat/completions called directly (the floor)
//   direct-anthropic    the double's POST /v1/messages called directly
//   peer                bench/peers/llm-passthrough on workerd -> the OpenAI double, the
//                       body handed back as it is (piped natively: no JS per chunk)
//   peer-usage          the same worker reading the usage as the events pass (a JS
//                       TransformStream: decode, split, JSON.parse per event)
//   gatehouse-bare      route ai-chat-bare: the llm policy alone -> the OpenAI double
//   gatehouse           route ai-chat: API key + token limit + llm -> the OpenAI double
//   gatehouse-anthropic route ai-chat, alias claude: the same, translated to and from the
//                       Anthropic double (the client still speaks OpenAI's shape)
// Each round and system: K streams of BENCH_CHUNKS content chunks one after another (time to
// first byte and total time per stream, workerd CPU over the K), then K streams of 1 chunk
// (CPU). CPU per chunk = (CPU over the long streams - CPU over the short ones) / ((chunks-1) K),
// the workerd process's on-CPU time from its threads' schedstat (bench/workerd.mjs
// threadCpuMicros; cpuMicros' clock ticks are kept in the JSON as a cross-check). The double
// runs in its own Node process; its CPU is not counted.
//
// Environment: BENCH_ROUNDS (5), BENCH_STREAMS (K, 30), BENCH_CHUNKS (200),
// BENCH_WARMUP_STREAMS (10 of each length per system), BENCH_AI1_BUILD=<dir> (an existing
// `wrangler deploy --dry-run --outdir <dir>` built with GATEHOUSE_ROUTES=bench/routes: no build).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { pathToFileURL } from "node:url";
import * as workerd from "./workerd.mjs";
import { ROOT, WORK, WORKERD, start, stop, waitReady, cpuMicros, threadCpuMicros } from "./workerd.mjs";

const RESULTS = path.join(ROOT, "bench/results");
const opt = {
  rounds: Number(process.env.BENCH_ROUNDS ?? 5),
  streams: Number(process.env.BENCH_STREAMS ?? 30),
  chunks: Number(process.env.BENCH_CHUNKS ?? 200),
  warmup: Number(process.env.BENCH_WARMUP_STREAMS ?? 10),
  build: process.env.BENCH_AI1_BUILD,
};
for (const [name, v, min] of [["BENCH_ROUNDS", opt.rounds, 1], ["BENCH_STREAMS", opt.streams, 1], ["BENCH_WARMUP_STREAMS", opt.warmup, 0]]) {
  if (!Number.isInteger(v) || v < min) throw new Error(`${name}: expected a whole number >= ${min}, got ${process.env[name]}`);
}
if (!Number.isInteger(opt.chunks) || opt.chunks < 2) throw new Error(`BENCH_CHUNKS: expected a whole number >= 2, got ${opt.chunks}`);

const DOUBLE_PORT = 18200;
const KEYS = {
  openai: `sk-double-${crypto.randomBytes(16).toString("hex")}`,
  anthropic: `sk-ant-double-${crypto.randomBytes(16).toString("hex")}`,
  client: `gh_${crypto.randomBytes(32).toString("base64url")}`,
};
const KV = { [`sha256:${crypto.createHash("sha256").update(KEYS.client).digest("hex")}`]: JSON.stringify({ id: "ai1-consumer", name: "AI1", plan: "gold", scopes: [], enabled: true }) };
const PROMPT = [{ role: "user", content: "Count slowly in the NATO alphabet please" }];
const CLIENT = { authorization: `Bearer ${KEYS.client}` };

/** What each system is called with; `baseline` is the direct call its added time is taken against. */
const SYSTEMS = [
  { name: "direct-openai", port: DOUBLE_PORT, path: "/v1/chat/completions", api: "openai", model: "gpt-double-ok", headers: { authorization: `Bearer ${KEYS.openai}` } },
  { name: "direct-anthropic", port: DOUBLE_PORT, path: "/v1/messages", api: "anthropic", model: "claude-double-ok", headers: { "x-api-key": KEYS.anthropic, "anthropic-version": "2023-06-01" } },
  { name: "peer", port: 18201, worker: "peer", path: "/v1/chat/completions", api: "openai", model: "gpt-double-ok", baseline: "direct-openai" },
  { name: "peer-usage", port: 18205, worker: "peer", text: { READ_USAGE: "1" }, path: "/v1/chat/completions", api: "openai", model: "gpt-double-ok", baseline: "direct-openai" },
  { name: "gatehouse-bare", port: 18202, worker: "gatehouse", path: "/v1/bare/chat/completions", api: "openai", model: "gpt", baseline: "direct-openai", provider: "llm-openai" },
  { name: "gatehouse", port: 18203, worker: "gatehouse", path: "/v1/chat/completions", api: "openai", model: "gpt", headers: CLIENT, baseline: "direct-openai", provider: "llm-openai", credential: true },
  { name: "gatehouse-anthropic", port: 18204, worker: "gatehouse", path: "/v1/chat/completions", api: "openai", model: "claude", headers: CLIENT, baseline: "direct-anthropic", provider: "llm-anthropic", credential: true },
];

const say = (...a) => console.error("[ai1]", ...a);
const round = (x, d = 1) => (x == null || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d);
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => { const s = sorted(xs); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
/** Nearest-rank percentile. */
const pct = (xs, p) => { const s = sorted(xs); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]; };
const ratio = (a, b) => (a != null && b ? round(a / b, 2) : null);

/** The request body for `sys` asking for `chunks` content chunks (one word each). */
function body(sys, chunks) {
  return JSON.stringify(sys.api === "anthropic"
    ? { model: sys.model, max_tokens: chunks, stream: true, messages: PROMPT }
    : { model: sys.model, max_tokens: chunks, stream: true, stream_options: { include_usage: true }, messages: PROMPT });
}

/**
 * One streamed POST on `agent` (a kept-alive connection, as SDK clients hold one): resolves
 * { status, headers, text, ttfb, total } in ms from the request's start to the first body
 * bytes and to the end of the stream.
 */
function stream(sys, chunks, agent, headers = sys.headers ?? {}) {
  const payload = body(sys, chunks);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = null;
    const parts = [];
    const req = http.request({
      host: "127.0.0.1", port: sys.port, path: sys.path, method: "POST", agent,
      headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
    }, (res) => {
      res.on("data", (d) => { first ??= performance.now(); parts.push(d); });
      res.on("end", () => {
        const end = performance.now();
        resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(parts).toString(), ttfb: (first ?? end) - t0, total: end - t0 });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** The content pieces of a finished stream, and whether it ended properly. */
function parseStream(api, text) {
  const events = text.split("\n\n").filter(Boolean);
  if (api === "anthropic") {
    const deltas = events.filter((e) => e.startsWith("event: content_block_delta\n")).length;
    return { deltas, ended: events.at(-1)?.startsWith("event: message_stop\n") ?? false };
  }
  let deltas = 0;
  for (const e of events) {
    const data = e.split("\n").find((l) => l.startsWith("data: "))?.slice(6);
    if (!data || data === "[DONE]") continue;
    const content = JSON.parse(data).choices?.[0]?.delta?.content;
    if (typeof content === "string" && content.length > 0) deltas += 1;
  }
  return { deltas, ended: events.at(-1) === "data: [DONE]" };
}

/** A measured stream must be a complete 200 answer (cheap: no parse). */
function checkQuick(sys, r) {
  const tail = sys.api === "anthropic" ? "event: message_stop\n" : "data: [DONE]\n\n";
  if (r.status !== 200 || !(sys.api === "anthropic" ? r.text.includes(tail) : r.text.endsWith(tail))) {
    throw new Error(`${sys.name}: a measured stream was not a complete 200 answer (${r.status}): ${r.text.slice(-300)}`);
  }
}

/** Before measuring: both lengths stream exactly their chunks, through the right provider; a
 * system that takes a key refuses the request without it. */
async function preflight(sys, agent) {
  for (const n of [opt.chunks, 1]) {
    const r = await stream(sys, n, agent);
    const { deltas, ended } = r.status === 200 ? parseStream(sys.api, r.text) : {};
    if (r.status !== 200 || deltas !== n || !ended || !/^text\/event-stream/.test(r.headers["content-type"] ?? "")) {
      throw new Error(`${sys.name}: expected a complete event stream of ${n} chunks, got ${r.status} with ${deltas} chunks (${r.headers["content-type"]}): ${r.text.slice(0, 300)}`);
    }
    if (sys.provider && r.headers["x-gatehouse-provider"] !== sys.provider) {
      throw new Error(`${sys.name}: expected provider ${sys.provider}, got x-gatehouse-provider ${r.headers["x-gatehouse-provider"]}`);
    }
  }
  if (sys.credential) {
    const anon = await stream(sys, 1, agent, {});
    if (anon.status !== 401) throw new Error(`${sys.name}: expected 401 without the key, got ${anon.status}`);
  }
}

/**
 * K streams of `chunks` one after another; the workerd process's CPU over them in us (null
 * for direct): `cpu` from its threads' schedstat (ns resolution), `cpuTicks` from /proc stat.
 */
async function phase(sys, proc, chunks, agent) {
  const before = proc ? [threadCpuMicros(proc.pid), cpuMicros(proc.pid)] : null;
  const samples = [];
  for (let i = 0; i < opt.streams; i++) {
    const r = await stream(sys, chunks, agent);
    checkQuick(sys, r);
    samples.push({ ttfb: r.ttfb, total: r.total });
  }
  if (!proc) return { samples, cpu: null, cpuTicks: null };
  return { samples, cpu: threadCpuMicros(proc.pid) - before[0], cpuTicks: cpuMicros(proc.pid) - before[1] };
}

function builds() {
  if (opt.build && !fs.existsSync(path.join(path.resolve(opt.build), "index.js"))) {
    throw new Error(`BENCH_AI1_BUILD=${opt.build}: no index.js there; expected the output of \`GATEHOUSE_ROUTES=bench/routes npx wrangler deploy --dry-run --outdir <dir>\``);
  }
  const gatehouse = opt.build
    ? workerd.gatehouseBuild(path.resolve(opt.build))
    : workerd.buildGatehouse(path.join(WORK, "gatehouse-ai1"), path.join(ROOT, "bench/routes"), say);
  const dir = path.join(WORK, "llm-passthrough");
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(ROOT, "bench/peers/llm-passthrough/worker.js"), path.join(dir, "index.js"));
  return { gatehouse, peer: { dir, modules: [{ name: "index.js", type: "esModule" }] } };
}

/** The provider double in its own Node process, so neither its work nor the client's skews the other. */
async function startDouble() {
  const module = pathToFileURL(path.join(ROOT, "tests/e2e/llm-double.mjs")).href;
  const script = `import { startLlmDouble } from ${JSON.stringify(module)};
await startLlmDouble(${JSON.stringify({ openaiKey: KEYS.openai, anthropicKey: KEYS.anthropic, words: opt.chunks, port: DOUBLE_PORT })});`;
  const child = start(process.execPath, ["--input-type=module", "-e", script]);
  await waitReady(DOUBLE_PORT, child);
  return child;
}

async function startWorker(sys, build) {
  const base = `http://127.0.0.1:${DOUBLE_PORT}`;
  const text = {
    LLM_OPENAI_URL: `${base}/v1`, LLM_OPENAI_KEY: KEYS.openai, LLM_ANTHROPIC_URL: base, LLM_ANTHROPIC_KEY: KEYS.anthropic,
    // The other bench routes' variables: unused here, set so the build's table resolves.
    ORIGIN: base, JWT_SECRET: crypto.randomBytes(32).toString("base64url"),
    ...sys.text,
  };
  const child = start(WORKERD, ["serve", workerd.workerdConfig(build, sys.port, { text, kv: KV })]);
  await waitReady(sys.port, child);
  return child;
}

function summarise(raw) {
  const out = {};
  for (const sys of SYSTEMS) {
    const r = raw[sys.name];
    const ttfb = r.flatMap((x) => x.long.samples.map((s) => s.ttfb));
    const total = r.flatMap((x) => x.long.samples.map((s) => s.total));
    const perChunk = r.map((x) => (x.long.cpu == null ? null : (x.long.cpu - x.short.cpu) / ((opt.chunks - 1) * opt.streams)));
    const perShort = r.map((x) => (x.short.cpu == null ? null : x.short.cpu / opt.streams));
    const perChunkTicks = r.map((x) => (x.long.cpuTicks == null ? null : (x.long.cpuTicks - x.short.cpuTicks) / ((opt.chunks - 1) * opt.streams)));
    out[sys.name] = {
      ttfb_p50_ms: round(median(ttfb), 2), ttfb_p95_ms: round(pct(ttfb, 95), 2),
      total_p50_ms: round(median(total), 2), total_p95_ms: round(pct(total, 95), 2),
      cpu_us_per_chunk: perChunk[0] == null ? null : round(median(perChunk), 2),
      cpu_us_per_1chunk_stream: perShort[0] == null ? null : round(median(perShort), 0),
      cpu_us_per_chunk_rounds: perChunk.map((x) => round(x, 2)),
      // The same from /proc/<pid>/stat clock ticks (10 ms each): the cross-check.
      cpu_us_per_chunk_ticks: perChunkTicks[0] == null ? null : round(median(perChunkTicks), 2),
    };
  }
  for (const sys of SYSTEMS) {
    if (!sys.baseline) continue;
    const s = out[sys.name], b = out[sys.baseline];
    s.added_ttfb_p50_ms = round(s.ttfb_p50_ms - b.ttfb_p50_ms, 2);
    s.added_ttfb_p95_ms = round(s.ttfb_p95_ms - b.ttfb_p95_ms, 2);
    s.added_total_p50_ms = round(s.total_p50_ms - b.total_p50_ms, 2);
  }
  const peer = out.peer;
  for (const sys of SYSTEMS) {
    if (!sys.worker || sys.name === "peer") continue; // peer-usage too: both against the floor
    const s = out[sys.name];
    s.vs_peer = {
      added_ttfb_p50: ratio(s.added_ttfb_p50_ms, peer.added_ttfb_p50_ms),
      added_total_p50: ratio(s.added_total_p50_ms, peer.added_total_p50_ms),
      cpu_per_chunk: ratio(s.cpu_us_per_chunk, peer.cpu_us_per_chunk),
      cpu_per_1chunk_stream: ratio(s.cpu_us_per_1chunk_stream, peer.cpu_us_per_1chunk_stream),
    };
  }
  return out;
}

function markdown(report) {
  const r = report.systems;
  const n = opt.rounds * opt.streams;
  const lines = [
    `AI1 run ${report.date} on ${report.machine.cpu} (${report.machine.cores} cores), workerd ${report.machine.workerd}. ${opt.rounds} rounds x ${opt.streams} streams per system and length, systems alternating, after ${opt.warmup} warm-up streams of each length; streams of ${opt.chunks} content chunks (one word each) with no delay between chunks, one at a time on a kept-alive connection. TTFB and total: median and p95 of ${n} streams; CPU: the workerd process, median over rounds.`,
    "",
    "| system | TTFB p50 ms | TTFB p95 ms | added TTFB p50 / p95 ms | stream p50 ms | added stream p50 ms | CPU us/chunk | CPU us per 1-chunk stream | added TTFB vs peer | CPU/chunk vs peer |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const dash = (x) => (x == null ? "-" : x);
  for (const sys of SYSTEMS) {
    const x = r[sys.name];
    const added = sys.baseline ? `${x.added_ttfb_p50_ms} / ${x.added_ttfb_p95_ms}` : "-";
    lines.push(`| ${sys.name} | ${x.ttfb_p50_ms} | ${x.ttfb_p95_ms} | ${added} | ${x.total_p50_ms} | ${dash(x.added_total_p50_ms)} | ${dash(x.cpu_us_per_chunk)} | ${dash(x.cpu_us_per_1chunk_stream)} | ${dash(x.vs_peer?.added_ttfb_p50)} | ${dash(x.vs_peer?.cpu_per_chunk)} |`);
  }
  const g = r.gatehouse, b = r["gatehouse-bare"], a = r["gatehouse-anthropic"], u = r["peer-usage"];
  lines.push("", `gatehouse (key + token limit) / peer: added TTFB ${g.vs_peer.added_ttfb_p50}x, CPU per chunk ${g.vs_peer.cpu_per_chunk}x, CPU per 1-chunk stream ${g.vs_peer.cpu_per_1chunk_stream}x. gatehouse-bare / peer: added TTFB ${b.vs_peer.added_ttfb_p50}x, CPU per chunk ${b.vs_peer.cpu_per_chunk}x. gatehouse-bare / peer-usage: added TTFB ${ratio(b.added_ttfb_p50_ms, u.added_ttfb_p50_ms)}x, CPU per chunk ${ratio(b.cpu_us_per_chunk, u.cpu_us_per_chunk)}x. gatehouse-anthropic (translated) / gatehouse: CPU per chunk ${ratio(a.cpu_us_per_chunk, g.cpu_us_per_chunk)}x.`);
  const ticks = SYSTEMS.filter((s) => s.worker).map((s) => `${s.name} ${r[s.name].cpu_us_per_chunk_ticks}`).join(", ");
  lines.push("", `CPU us/chunk from /proc stat clock ticks (10 ms resolution), the cross-check: ${ticks}.`);
  return lines.join("\n");
}

function machine() {
  const r = spawnSync(WORKERD, ["--version"], { encoding: "utf8" });
  const v = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0] || null;
  return { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memory_gib: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version, workerd: v };
}

async function main() {
  fs.mkdirSync(WORK, { recursive: true });
  fs.mkdirSync(RESULTS, { recursive: true });
  const built = builds();
  const procs = {};
  const agents = {};
  const raw = Object.fromEntries(SYSTEMS.map((s) => [s.name, []]));
  const double = await startDouble();
  try {
    for (const sys of SYSTEMS) {
      if (sys.worker) procs[sys.name] = await startWorker(sys, built[sys.worker]);
      agents[sys.name] = new http.Agent({ keepAlive: true, maxSockets: 1 });
      await preflight(sys, agents[sys.name]);
    }
    say(`checked: every system streams ${opt.chunks} and 1 chunk(s) completely; warming up (${opt.warmup} streams of each length each)`);
    for (const sys of SYSTEMS) {
      for (let i = 0; i < opt.warmup; i++) {
        checkQuick(sys, await stream(sys, opt.chunks, agents[sys.name]));
        checkQuick(sys, await stream(sys, 1, agents[sys.name]));
      }
    }
    for (let r = 1; r <= opt.rounds; r++) {
      for (const sys of SYSTEMS) {
        const long = await phase(sys, procs[sys.name], opt.chunks, agents[sys.name]);
        const short = await phase(sys, procs[sys.name], 1, agents[sys.name]);
        raw[sys.name].push({ long, short });
        const perChunk = long.cpu == null ? "-" : round((long.cpu - short.cpu) / ((opt.chunks - 1) * opt.streams), 2);
        say(`round ${r} ${sys.name.padEnd(19)} TTFB p50 ${round(median(long.samples.map((s) => s.ttfb)), 2)} ms  stream p50 ${round(median(long.samples.map((s) => s.total)), 2)} ms  CPU ${perChunk} us/chunk`);
      }
    }
  } finally {
    for (const a of Object.values(agents)) a.destroy();
    for (const p of Object.values(procs)) await stop(p);
    await stop(double);
  }
  const report = { date: new Date().toISOString(), machine: machine(), options: opt, systems: summarise(raw), raw };
  fs.writeFileSync(path.join(RESULTS, "ai1.json"), JSON.stringify(report, null, 2));
  fs.writeFileSync(path.join(RESULTS, "ai1.md"), `${markdown(report)}\n`);
  console.log(markdown(report));
  say("results: bench/results/ai1.json and ai1.md");
}

main().catch((e) => { console.error(e); process.exit(1); });

// End-to-end harness: runs the built worker (build/index.js + wasm) in Miniflare, listening on
// 127.0.0.1, and sends raw HTTP so path tricks reach the runtime byte for byte.
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import crypto from "node:crypto";
import { before, after } from "node:test";
import { Miniflare } from "miniflare";
import { startOrigin } from "../../scripts/demo-origin.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// ------------------------------------------------------------------------------- the clock
// The worker's calendar (API lifecycle, rate-limit windows and quotas) is moved with the
// GATEHOUSE_TEST_CLOCK binding: a signed offset in ms added to the real clock. No test may
// depend on today's date, so every gateway runs on a pinned calendar day unless it asks for
// another instant.

const DAY_MS = 86_400_000;

/** The calendar day every gateway runs on by default: v1 deprecated (2026-06-01) but not
 * sunset (2099-12-31), /v1/reports/summary past its own sunset (2026-09-30). */
export const DEFAULT_DAY = "2027-03-01";

/** `GATEHOUSE_TEST_CLOCK` so the worker's calendar reads `iso` now (and runs on from there). */
export function clockAt(iso) {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) throw new Error(`clockAt: not an instant: ${iso}`);
  return { GATEHOUSE_TEST_CLOCK: String(at - Date.now()) };
}

/** `GATEHOUSE_TEST_CLOCK` for DEFAULT_DAY at today's time of day: a whole number of days, so
 * every fixed window (10 s, 1 min, ...) keeps its real-time boundaries. */
export function defaultClock() {
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  return { GATEHOUSE_TEST_CLOCK: String(Date.parse(`${DEFAULT_DAY}T00:00:00Z`) - today) };
}

/** The instant (ms) the gateway's calendar reads now. */
export function calendarNow(gw) {
  return Date.now() + Number(gw.clockOffset ?? 0);
}

/**
 * Starts the gateway with the given vars and secrets, a local KV namespace API_KEYS and the
 * Cache API, on DEFAULT_DAY's calendar unless `bindings` sets GATEHOUSE_TEST_CLOCK (see
 * clockAt). `logs` collects the worker's stdout lines; `restart()` reloads the worker (a new
 * isolate) keeping KV and cache contents.
 *
 * `extra` is merged into the gateway worker's Miniflare options (e.g. `wrappedBindings`);
 * `otherWorkers` run beside it (the gateway stays the entry worker, named "gateway"). A binding
 * served by a module of the tests, such as the Workers AI double (workers-ai.mjs), takes both:
 * `const ai = workersAiBinding(); startGateway(vars, { wrappedBindings: ai.wrappedBindings }, [ai.worker])`.
 */
export async function startGateway(bindings, extra = {}, otherWorkers = []) {
  const logs = [];
  const clock = bindings.GATEHOUSE_TEST_CLOCK ?? defaultClock().GATEHOUSE_TEST_CLOCK;
  const gateway = {
    rootPath: root,
    scriptPath: "build/index.js",
    modules: true,
    modulesRoot: root,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2026-04-01",
    bindings: { ...bindings, GATEHOUSE_TEST_CLOCK: clock },
    kvNamespaces: ["API_KEYS"],
    durableObjects: { RATE_LIMITER: "RateLimiter", CACHE_GENERATIONS: "CacheGenerations" },
    cache: true,
    ...extra,
  };
  // With other workers (e.g. a Durable Object class that fails), the gateway is the first one
  // and receives the HTTP requests.
  const options = {
    ...(otherWorkers.length ? { workers: [{ name: "gateway", ...gateway }, ...otherWorkers] } : gateway),
    host: "127.0.0.1",
    port: 0,
    handleRuntimeStdio(stdout, stderr) {
      let buf = "";
      stdout.on("data", (d) => {
        buf += d;
        const lines = buf.split("\n");
        buf = lines.pop();
        logs.push(...lines.filter(Boolean));
      });
      stderr.on("data", () => {});
    },
  };
  const mf = new Miniflare(options);
  const url = await mf.ready;
  const gw = { mf, url, port: Number(url.port), logs, clockOffset: Number(clock), close: () => mf.dispose() };
  gw.restart = async () => {
    await mf.setOptions(options);
    gw.url = await mf.ready;
    gw.port = Number(gw.url.port);
  };
  return gw;
}

/** Runs `body(gw)` against a gateway of its own (startGateway's arguments), closed after. */
export async function withGateway(bindings, body) {
  const gw = await startGateway(bindings);
  try {
    return await body(gw);
  } finally {
    await gw.close();
  }
}

/**
 * Registers before/after hooks that start a recording origin and the gateway pointed at it
 * (ECHO_ORIGIN, plus `bindings`), and returns an object whose `origin` and `gw` are set once they run.
 */
export function useGateway(bindings = {}) {
  const ctx = {};
  before(async () => {
    ctx.origin = await startOrigin();
    ctx.gw = await startGateway({ ECHO_ORIGIN: ctx.origin.url, ...bindings });
  });
  after(async () => {
    await ctx.gw?.close();
    await ctx.origin?.close();
  });
  return ctx;
}

/**
 * Sends a raw request. `path` goes on the wire as given (no client-side normalisation).
 * Resolves { status, headers, text, json() }.
 */
export function request(gw, method, rawPath, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: gw.port, method, path: rawPath, headers, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Opens a request and returns it unfinished, for streaming tests. */
export function openRequest(gw, method, rawPath, headers = {}) {
  return http.request({ host: "127.0.0.1", port: gw.port, method, path: rawPath, headers, agent: false });
}

/** Rejects after `ms`: a streaming test waits on data that only arrives if nothing buffers. */
export function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms (buffered?)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Asserts the response is a problem+json with this status and slug; returns the body. */
export function expectProblem(assert, res, status, slug) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers["content-type"], "application/problem+json");
  const p = res.json();
  assert.equal(p.type, `urn:gatehouse:problem:${slug}`);
  assert.equal(p.status, status);
  assert.ok(p.title && p.detail, "title and detail are set");
  assert.equal(p.request_id, res.headers["x-request-id"]);
  return p;
}

// ------------------------------------------------------------------------- waiting for things

/** Resolves after `ms`. Only where time passing is the point (a TTL, a window, a timeout). */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` (sync or async) until it returns something truthy, and resolves with that;
 * rejects naming `what` after `timeoutMs`. */
export async function until(check, what, timeoutMs = 5_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(10);
  }
}

/** The worker's stdout lines that are JSON (access-log and audit lines), parsed. */
export function logLines(gw) {
  return gw.logs.flatMap((l) => {
    try {
      const v = JSON.parse(l);
      return v && typeof v === "object" ? [v] : [];
    } catch {
      return [];
    }
  });
}

/** Waits for the first log line that satisfies `predicate` (access lines are written after the
 * response, with waitUntil) and returns it. */
export function waitForLog(gw, predicate, what, timeoutMs = 5_000) {
  return until(() => logLines(gw).find(predicate), `log line: ${what}`, timeoutMs);
}

/** The access-log line of the request whose x-request-id is `id` (a line with its status; a
 * warning written during the request carries the id too). */
export function logOf(gw, id) {
  return waitForLog(gw, (l) => l.request_id === id && l.status !== undefined, `access line of ${id}`);
}

/** A fresh x-request-id, so a test can find its own log line. */
export function requestId(prefix = "t") {
  return `${prefix}-${crypto.randomBytes(6).toString("hex")}`;
}

/** Waits, if needed, so that the next `needMs` fit in one fixed window of `windowMs` (on the
 * real clock, which the default calendar keeps window-aligned). */
export async function startOfWindow(windowMs, needMs) {
  const left = windowMs - (Date.now() % windowMs);
  if (left < needMs) await sleep(left + 50);
}

// ------------------------------------------------------------------------------- fixtures

/** Stores an API key record in the gateway's KV under `sha256:<hex of the key>`, as the
 * admin API does (`enabled: true` unless the record says otherwise), and resolves the key: a
 * fresh random one unless `key` is given. `worker` names the Miniflare worker when there are
 * several. */
export async function putApiKey(gw, record, { key = crypto.randomBytes(32).toString("base64url"), worker } = {}) {
  const kv = await gw.mf.getKVNamespace("API_KEYS", worker);
  const hash = crypto.createHash("sha256").update(key).digest("hex");
  await kv.put(`sha256:${hash}`, JSON.stringify({ enabled: true, ...record }));
  return key;
}

/** An HTTP server on 127.0.0.1 (`port`, else any free one) with `handler(req, res)`:
 * { url, port, server, close() }. */
export async function startLoopback(handler, port = 0) {
  const server = http.createServer(handler);
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const bound = server.address().port;
  return {
    server,
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

/** Debian's headless Chromium through playwright-core (CHROMIUM_PATH overrides the path). */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}

/** A loopback port with nothing listening: free to listen on, and refused to connect to. */
export async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * POSTs `total` bytes in 16 KiB chunks with `Transfer-Encoding: chunked` (no Content-Length,
 * so the gateway counts the body as it streams). Resolves { status, headers, text, json() }.
 */
export function postChunked(gw, rawPath, total, headers = { "content-type": "application/json" }) {
  return new Promise((resolve, reject) => {
    const req = openRequest(gw, "POST", rawPath, { ...headers, "transfer-encoding": "chunked" });
    req.on("response", (r) => {
      let text = "";
      r.on("data", (d) => (text += d));
      r.on("end", () => resolve({ status: r.statusCode, headers: r.headers, text, json: () => JSON.parse(text) }));
    });
    req.on("error", reject);
    const chunk = "x".repeat(16 * 1024);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

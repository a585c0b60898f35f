// End-to-end harness: runs the built worker (build/index.js + wasm) in Miniflare, listening on
// 127.0.0.1, and sends raw HTTP so path tricks reach the runtime byte for byte.
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { before, after } from "node:test";
import { Miniflare } from "miniflare";
import { startOrigin } from "../../scripts/demo-origin.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Starts the gateway with the given vars and secrets, a local KV namespace API_KEYS and the
 * Cache API. `logs` collects the worker's stdout lines; `restart()` reloads the worker (a new
 * isolate) keeping KV and cache contents.
 */
export async function startGateway(bindings, extra = {}, otherWorkers = []) {
  const logs = [];
  const gateway = {
    rootPath: root,
    scriptPath: "build/index.js",
    modules: true,
    modulesRoot: root,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2026-04-01",
    bindings,
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
  const gw = { mf, url, port: Number(url.port), logs, close: () => mf.dispose() };
  gw.restart = async () => {
    await mf.setOptions(options);
    gw.url = await mf.ready;
    gw.port = Number(gw.url.port);
  };
  return gw;
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

// The proxy core, end to end: the built worker in Miniflare, a recording origin on loopback.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { useGateway, request, openRequest, within, expectProblem, until, logOf } from "./harness.mjs";

const s = useGateway();

const last = () => s.origin.received.at(-1);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("path params are rewritten and the query string passes through", async () => {
  const res = await request(s.gw, "GET", "/v1/users/42?fields=a,b&q=%20x");
  assert.equal(res.status, 200);
  assert.equal(last().path, "/internal/users/42");
  assert.equal(last().query, "?fields=a,b&q=%20x");
});

test("a route without rewrite sends its public path", async () => {
  await request(s.gw, "GET", "/v2/users/7");
  assert.equal(last().url, "/v2/users/7");
});

test("a catch-all parameter carries the rest of the path under the upstream base path", async () => {
  await request(s.gw, "GET", "/v1/files/reports/2026/q1.pdf");
  assert.equal(last().path, "/storage/public/reports/2026/q1.pdf");
});

test("host-specific routes win for their host only", async () => {
  await request(s.gw, "GET", "/v1/whoami", { headers: { host: "Partner.Example.com" } });
  assert.equal(last().path, "/internal/whoami/partner");
  await request(s.gw, "GET", "/v1/whoami", { headers: { host: "other.example.com" } });
  assert.equal(last().path, "/internal/whoami/public");
});

test("headers to the origin: hop-by-hop stripped, forwarding set, spoofs replaced, policies applied", async () => {
  await request(s.gw, "GET", "/v1/users/1", {
    headers: {
      connection: "x-hop-secret",
      "x-hop-secret": "1",
      "keep-alive": "timeout=5",
      "proxy-authorization": "Basic eDp5",
      te: "trailers",
      "x-forwarded-for": "10.6.6.6",
      "x-forwarded-host": "evil.example",
      forwarded: "for=10.6.6.6",
      "x-real-ip": "10.6.6.6",
      cookie: "session=abc",
      "x-custom": "kept",
    },
  });
  const h = last().headers;
  for (const gone of ["x-hop-secret", "keep-alive", "proxy-authorization", "te", "forwarded", "x-real-ip", "cookie"]) {
    assert.equal(h[gone], undefined, `${gone} must not reach the origin`);
  }
  assert.equal(h["x-forwarded-for"], "127.0.0.1");
  assert.notEqual(h["x-forwarded-host"], "evil.example");
  assert.equal(h["x-forwarded-proto"], "http");
  assert.equal(h["x-gateway"], "gatehouse"); // default policy
  assert.equal(h["x-custom"], "kept");
});

test("headers to the client: hop-by-hop stripped, request id, Server-Timing, response policies", async () => {
  const res = await request(s.gw, "GET", "/v1/users/1");
  assert.equal(res.headers["x-origin-hop"], undefined);
  assert.equal(res.headers["keep-alive"], undefined);
  assert.equal(res.headers["x-powered-by"], undefined); // removed by the gateway-tag policy
  assert.equal(res.headers["x-content-type-options"], "nosniff");
  assert.match(res.headers["x-request-id"], UUID);
  assert.match(res.headers["server-timing"], /^gateway;dur=[\d.]+, upstream;dur=[\d.]+$/);
});

test("a well-formed inbound request id is kept end to end; a malformed one is replaced", async () => {
  let res = await request(s.gw, "GET", "/v1/users/1", { headers: { "x-request-id": "client-req-123" } });
  assert.equal(res.headers["x-request-id"], "client-req-123");
  assert.equal(last().headers["x-request-id"], "client-req-123");
  res = await request(s.gw, "GET", "/v1/users/1", { headers: { "x-request-id": "bad id <script>" } });
  assert.match(res.headers["x-request-id"], UUID);
  assert.equal(last().headers["x-request-id"], res.headers["x-request-id"]);
});

test("a valid traceparent is continued with the gateway as parent; tracestate follows it", async () => {
  const inbound = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  await request(s.gw, "GET", "/v1/users/1", { headers: { traceparent: inbound, tracestate: "vendor=1" } });
  const [v, trace, parent, flags] = last().headers.traceparent.split("-");
  assert.deepEqual([v, trace, flags], ["00", "4bf92f3577b34da6a3ce929d0e0e4736", "01"]);
  assert.match(parent, /^[0-9a-f]{16}$/);
  assert.notEqual(parent, "00f067aa0ba902b7");
  assert.equal(last().headers.tracestate, "vendor=1");
});

test("an invalid traceparent starts a new trace and drops tracestate", async () => {
  await request(s.gw, "GET", "/v1/users/1", { headers: { traceparent: "00-zzz-bad-01", tracestate: "vendor=1" } });
  assert.match(last().headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.equal(last().headers.tracestate, undefined);
});

test("unknown path is 404 problem+json", async () => {
  const before = s.origin.received.length;
  const p = expectProblem(assert, await request(s.gw, "GET", "/v1/nothing-here"), 404, "route-not-found");
  assert.equal(p.instance, "/v1/nothing-here");
  assert.equal(s.origin.received.length, before);
});

test("known path with another method is 405 problem+json with Allow", async () => {
  const res = await request(s.gw, "POST", "/v1/users/9", { body: "{}" });
  expectProblem(assert, res, 405, "method-not-allowed");
  assert.equal(res.headers.allow, "GET, HEAD, PUT, PATCH, DELETE");
  const trace = await request(s.gw, "TRACE", "/v1/users/9");
  expectProblem(assert, trace, 405, "method-not-allowed");
});

test("HEAD is served by GET routes", async () => {
  const res = await request(s.gw, "HEAD", "/v1/users/5");
  assert.equal(res.status, 200);
  assert.equal(last().method, "HEAD");
});

test("origin redirects are passed back, not followed", async () => {
  const before = s.origin.received.length;
  const res = await request(s.gw, "GET", "/v1/old-home");
  assert.equal(res.status, 302);
  assert.equal(res.headers.location, "/internal/elsewhere");
  assert.equal(s.origin.received.length, before + 1);
});

test("a large request body streams to the origin intact (first bytes arrive before the client ends)", async () => {
  const chunk = crypto.randomBytes(1 << 20);
  const req = openRequest(s.gw, "POST", "/v1/upload", { "content-type": "application/octet-stream", "transfer-encoding": "chunked" });
  const responded = new Promise((resolve, reject) => {
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: JSON.parse(text) }));
    });
    req.on("error", reject);
  });
  const hash = crypto.createHash("sha256");
  const arrived = s.origin.firstBytes("/internal/upload");
  req.write(chunk);
  hash.update(chunk);
  await within(10000, arrived, "request body at the origin");
  for (let i = 0; i < 15; i++) {
    req.write(chunk);
    hash.update(chunk);
  }
  req.end();
  const res = await responded;
  assert.equal(res.status, 200);
  assert.equal(res.body.bodyBytes, 16 << 20);
  assert.equal(res.body.bodySha256, hash.digest("hex"));
  assert.equal(res.headers["cache-control"], "no-store"); // the route's inline policy
});

test("a large response streams to the client (first chunk arrives while the origin holds the rest)", async () => {
  const total = 8 << 20;
  const req = openRequest(s.gw, "GET", `/v1/download?bytes=${total}&hold=dl1`);
  const firstChunk = new Promise((resolve, reject) => {
    req.on("response", (res) => {
      let n = 0;
      let first = true;
      res.on("data", (d) => {
        n += d.length;
        if (first) {
          first = false;
          resolve({ res, done: new Promise((r) => res.on("end", () => r(n))) });
        }
      });
    });
    req.on("error", reject);
  });
  req.end();
  const { res, done } = await within(10000, firstChunk, "response body at the client");
  assert.equal(res.statusCode, 200);
  s.origin.release("dl1");
  assert.equal(await done, total);
});

test("an upstream slower than its timeout is 504 problem+json, and its request is cancelled", async () => {
  const p = expectProblem(assert, await request(s.gw, "GET", "/v1/reports/slow"), 504, "upstream-timeout");
  assert.match(p.detail, /reports.*1000 ms/);
  // The origin would answer after 3 s; the gateway's request must be gone well before that.
  const sent = s.origin.received.findLast((r) => r.path === "/slow");
  const answered = Date.now();
  await until(() => sent.abandoned, "the origin sees the timed-out request closed", 2_000);
  assert.ok(Date.now() - answered < 1_500, "closed well before the origin's 3 s answer");
});

test("one JSON access-log line per request with ids, route, status and timings", async () => {
  const res = await request(s.gw, "GET", "/v1/users/77?x=1", { headers: { "x-request-id": "log-check-1" } });
  assert.equal(res.status, 200);
  const line = await logOf(s.gw, "log-check-1");
  assert.equal(line.route, "v1-get-user");
  assert.equal(line.method, "GET");
  assert.equal(line.path, "/v1/users/77");
  assert.equal(line.status, 200);
  assert.equal(line.upstream, "users");
  assert.equal(line.client_ip, "127.0.0.1");
  assert.match(line.trace_id, /^[0-9a-f]{32}$/);
  assert.match(line.timestamp, /^\d{4}-\d\d-\d\dT/);
  assert.equal(typeof line.duration_ms, "number");
  assert.equal(typeof line.upstream_ms, "number");
  assert.equal(s.gw.logs.filter((l) => l.includes("\"log-check-1\"")).length, 1);
});

// Upstream pools on the wire: three loopback origins (POOL_A, POOL_B, POOL_C) behind the
// example upstreams `pool` (3:1 round robin, retries, breakers, a 1.5 s deadline), `sticky`
// (hash on x-user) and `guarded` (breaker + static fallback).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, request, expectProblem, startLoopback, sleep, until, logOf, logLines } from "./harness.mjs";

/** An origin that names itself and records what it received; `mode` makes it fail. */
async function startTarget(name) {
  const t = { name, hits: [], mode: "ok" };
  Object.assign(t, await startLoopback((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      t.hits.push({ method: req.method, url: req.url, body, headers: req.headers });
      if (t.mode === "503") {
        res.writeHead(503, { "content-type": "text/plain" });
        return res.end("down");
      }
      if (t.mode === "hang") return; // never answers
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ target: name, body }));
    });
  }));
  return t;
}

const ctx = {};
before(async () => {
  ctx.a = await startTarget("a");
  ctx.b = await startTarget("b");
  ctx.c = await startTarget("c");
  ctx.shadow = await startTarget("shadow");
  ctx.gw = await startGateway({ ECHO_ORIGIN: ctx.a.url, POOL_A: ctx.a.url, POOL_B: ctx.b.url, POOL_C: ctx.c.url, SHADOW: ctx.shadow.url });
});
after(async () => {
  await ctx.gw?.close();
  for (const t of [ctx.a, ctx.b, ctx.c, ctx.shadow]) await t?.close();
});

function reset() {
  for (const t of [ctx.a, ctx.b, ctx.c, ctx.shadow]) {
    t.hits = [];
    t.mode = "ok";
  }
}

/** The access-log line of the request that got `res`. */
const logFor = (res, gw = ctx.gw) => logOf(gw, res.headers["x-request-id"]);
const TARGET_VAR = { a: "${POOL_A}", b: "${POOL_B}", c: "${POOL_C}" };

test("a weighted pool splits traffic 3:1 and the access log names the target", async () => {
  reset();
  const seen = { a: 0, b: 0 };
  const answers = [];
  for (let i = 0; i < 40; i++) {
    const res = await request(ctx.gw, "GET", `/v1/pool/items/${i}`);
    assert.equal(res.status, 200);
    seen[res.json().target]++;
    answers.push(res);
  }
  assert.deepEqual(seen, { a: 30, b: 10 }, "smooth round robin is exact within one isolate");
  // Each request's log line names the target that answered it (as configured).
  for (const res of answers.slice(-4)) {
    const log = await logFor(res);
    assert.equal(log.target, TARGET_VAR[res.json().target], JSON.stringify(log));
    assert.equal(log.attempts, 1);
    assert.equal(log.tries, undefined, "one good attempt: no tries list");
  }
});

test("a GET that fails is retried on the other target; a POST is not", async () => {
  reset();
  ctx.b.mode = "503";
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await request(ctx.gw, "GET", `/v1/pool/g/${i}`));
  const statuses = answers.map((r) => r.status);
  assert.deepEqual(statuses, [200, 200, 200, 200], "B's turn was retried on A");
  assert.equal(ctx.b.hits.length, 1);
  assert.equal(ctx.a.hits.length, 4);
  const logs = [];
  for (const res of answers) logs.push(await logFor(res));
  const retried = logs.filter((l) => l.attempts === 2);
  assert.equal(retried.length, 1, "the retried request logs 2 attempts");
  assert.deepEqual(retried[0].tries.map((t) => t.outcome), ["503", "200"], "each try is logged");
  assert.equal(retried[0].tries[0].target, "${POOL_B}");

  reset();
  ctx.b.mode = "503";
  const posts = [];
  for (let i = 0; i < 4; i++) {
    posts.push((await request(ctx.gw, "POST", `/v1/pool/p/${i}`, { body: "x", headers: { "content-type": "text/plain" } })).status);
  }
  assert.deepEqual(posts.sort(), [200, 200, 200, 503], "B's 503 passes through: POST is not retried");
  assert.equal(ctx.a.hits.length + ctx.b.hits.length, 4, "no request was sent twice");
});

test("a small POST body (with Content-Length) is replayed on retry where the route allows it", async () => {
  reset();
  ctx.b.mode = "503";
  const body = JSON.stringify({ order: 7, note: "é".repeat(100) });
  for (let i = 0; i < 4; i++) {
    const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
    const res = await request(ctx.gw, "POST", `/v1/pool-idempotent/o/${i}`, { body, headers });
    assert.equal(res.status, 200);
    assert.equal(res.json().body, body, "the retried attempt carried the same body");
  }
  assert.equal(ctx.b.hits.length, 1);
  assert.equal(ctx.b.hits[0].body, body);
});

test("the deadline bounds all attempts together", async () => {
  reset();
  ctx.a.mode = "hang";
  ctx.b.mode = "hang";
  const started = Date.now();
  const res = await request(ctx.gw, "GET", "/v1/pool/slow");
  const took = Date.now() - started;
  expectProblem(assert, res, 504, "upstream-timeout");
  assert.ok(took >= 1000 && took < 2800, `answered after ${took} ms (deadline 1.5 s; 3 attempts x 1 s would be 3 s)`);
});

test("the same user stays on one target; users spread over all three", async () => {
  reset();
  const targetOf = async (user) => (await request(ctx.gw, "GET", "/v1/sticky/me", { headers: { "x-user": user } })).json().target;
  const alice = await targetOf("alice");
  for (let i = 0; i < 5; i++) assert.equal(await targetOf("alice"), alice);
  const targets = new Set();
  for (let i = 0; i < 30; i++) targets.add(await targetOf(`user-${i}`));
  assert.equal(targets.size, 3);
});

test("a failing upstream gets its fallback, its breaker opens, and a probe closes it", async () => {
  reset();
  ctx.c.mode = "503";
  for (let i = 0; i < 2; i++) {
    const res = await request(ctx.gw, "GET", "/v1/guarded/items");
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { items: [], degraded: true });
    assert.equal(res.headers["x-gatehouse-fallback"], "static");
  }
  assert.equal(ctx.c.hits.length, 2);
  const open = await request(ctx.gw, "GET", "/v1/guarded/items");
  assert.equal(open.json().degraded, true);
  assert.equal(ctx.c.hits.length, 2, "open breaker: the origin is not called");
  assert.equal((await logFor(open)).fallback, "static");
  ctx.c.mode = "ok";
  await sleep(2100); // the breaker's open period
  const probe = await request(ctx.gw, "GET", "/v1/guarded/items");
  assert.equal(probe.json().target, "c", "half-open probe reached the origin");
  assert.equal(probe.headers["x-gatehouse-fallback"], undefined);
  assert.equal((await request(ctx.gw, "GET", "/v1/guarded/items")).json().target, "c", "closed again");
});

test("when every target is open the answer is 503 upstream-unavailable with Retry-After", async () => {
  reset();
  ctx.a.mode = "503";
  ctx.b.mode = "503";
  let res;
  for (let i = 0; i < 6; i++) res = await request(ctx.gw, "GET", `/v1/pool/down/${i}`);
  expectProblem(assert, res, 503, "upstream-unavailable");
  assert.ok(Number(res.headers["retry-after"]) >= 1);
  const hits = ctx.a.hits.length + ctx.b.hits.length;
  await request(ctx.gw, "GET", "/v1/pool/down/again");
  assert.equal(ctx.a.hits.length + ctx.b.hits.length, hits, "open targets are skipped");
});

test("the mirror receives a copy after the response, and a hanging mirror does not slow the client", async () => {
  reset();
  const res = await request(ctx.gw, "GET", "/v1/sticky/mirrored?x=1", { headers: { "x-user": "alice", "x-gatehouse-mirror": "1" } });
  assert.equal(res.status, 200);
  await until(() => ctx.shadow.hits.length > 0, "the mirrored copy");
  assert.equal(ctx.shadow.hits.length, 1);
  assert.equal(ctx.shadow.hits[0].url, "/mirrored?x=1");
  assert.equal(ctx.shadow.hits[0].headers["x-gatehouse-mirror"], "1", "the copy is marked");
  const primary = [ctx.a, ctx.b, ctx.c].flatMap((t) => t.hits);
  assert.equal(primary.length, 1);
  assert.equal(primary[0].headers["x-gatehouse-mirror"], undefined, "a client cannot pass as mirror traffic");
  ctx.shadow.mode = "hang";
  const started = Date.now();
  const slow = await request(ctx.gw, "GET", "/v1/sticky/again", { headers: { "x-user": "alice" } });
  assert.equal(slow.status, 200);
  assert.notEqual(slow.json().target, "shadow");
  assert.ok(Date.now() - started < 1500, "the client's answer does not wait for the mirror");
});

test("a canary is forced by its header, drawn by weight and kept by a cookie", async () => {
  reset();
  const via = async (headers = {}) => request(ctx.gw, "GET", "/v1/split/x", { headers });
  assert.equal((await via({ "x-canary": "1" })).json().target, "b");
  assert.equal((await via({ "x-canary": "0", cookie: "gatehouse_canary=1" })).json().target, "a", "the header wins");
  assert.equal((await via({ cookie: "gatehouse_canary=1" })).json().target, "b", "kept by the cookie");
  const forced = await via({ "x-canary": "1" });
  assert.equal(forced.headers["set-cookie"], undefined, "a forced side is not remembered");
  let canary = 0;
  const sides = new Map(); // request id -> drawn for the canary
  for (let i = 0; i < 200; i++) {
    const res = await via();
    const cookie = res.headers["set-cookie"]?.[0] ?? "";
    const side = res.json().target;
    assert.match(cookie, side === "b" ? /^gatehouse_canary=1; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax$/ : /^gatehouse_canary=0;/);
    if (side === "b") canary++;
    sides.set(res.headers["x-request-id"], side === "b");
  }
  assert.ok(canary >= 5 && canary <= 40, `${canary} of 200 drawn for a 10% canary`);
  // Each request's log line says whether it went to the canary, as its answer did.
  await logOf(ctx.gw, [...sides.keys()].at(-1));
  const logged = new Map(logLines(ctx.gw).filter((l) => sides.has(l.request_id)).map((l) => [l.request_id, l.canary]));
  assert.deepEqual(logged, sides);
  assert.equal((await logFor(forced)).canary, true, "a forced canary is logged as one");
});

test("routes on the same path are chosen by header and query values, the more specific first", async () => {
  reset();
  const target = async (path, headers = {}) => (await request(ctx.gw, "GET", path, { headers })).json().target;
  assert.equal(await target("/v1/split/x?beta=1"), "b");
  assert.equal(await target("/v1/split/x?beta=1", { "x-tenant": "acme", "x-canary": "0" }), "c");
  assert.equal(await target("/v1/split/x?beta=2", { "x-tenant": "acme", "x-canary": "0" }), "a", "no match: the plain route");
  const plain = await request(ctx.gw, "GET", "/v1/split/x?beta=1&beta=1", { headers: { "x-canary": "0" } });
  assert.equal(plain.json().target, "a", "a repeated parameter matches nothing");
  assert.equal((await logFor(plain)).route, "v1-split");
});

test("a service-binding target reaches a second worker without the network; unbound, it is 502", async () => {
  const internal = {
    name: "internal-api",
    modules: true,
    script: `export default { async fetch(req) {
      return Response.json({ target: "service", url: req.url, method: req.method, body: await req.text(), id: req.headers.get("x-request-id") });
    } }`,
  };
  const gw = await startGateway(
    { ECHO_ORIGIN: ctx.a.url, POOL_A: ctx.a.url, POOL_B: ctx.b.url, POOL_C: ctx.c.url, SHADOW: ctx.shadow.url },
    { serviceBindings: { INTERNAL_API: "internal-api" } },
    [internal],
  );
  try {
    const res = await request(gw, "GET", "/v1/internal-api/users/7?x=1");
    assert.equal(res.status, 200, res.text);
    const got = res.json();
    assert.equal(got.target, "service");
    assert.equal(new URL(got.url).pathname + new URL(got.url).search, "/users/7?x=1");
    assert.equal(got.id, res.headers["x-request-id"], "gateway headers go through the binding");
    const post = await request(gw, "POST", "/v1/internal-api/orders", { body: "hello", headers: { "content-length": "5" } });
    assert.equal(post.json().body, "hello");
    const log = await logFor(post, gw);
    assert.equal(log.route, "v1-internal");
    assert.equal(log.target, "service:INTERNAL_API");
  } finally {
    await gw.close();
  }
  const unbound = await request(ctx.gw, "GET", "/v1/internal-api/users/7");
  expectProblem(assert, unbound, 502, "upstream-unreachable");
});

test("a fallback upstream answers when the pool fails, and its answer is never cached", async () => {
  reset();
  ctx.c.mode = "503";
  const degraded = await request(ctx.gw, "GET", "/v1/spare/report");
  assert.equal(degraded.status, 200);
  assert.equal(degraded.json().target, "b");
  assert.equal(degraded.headers["x-gatehouse-fallback"], "split-next");
  assert.match(degraded.headers["cache-status"], /fwd=uri-miss; fwd-status=200; detail=fallback$/);
  ctx.c.mode = "ok";
  const fresh = await request(ctx.gw, "GET", "/v1/spare/report");
  assert.equal(fresh.json().target, "c", "the fallback's answer was not stored");
  assert.match(fresh.headers["cache-status"], /stored/);
  const hit = await request(ctx.gw, "GET", "/v1/spare/report");
  assert.equal(hit.json().target, "c");
  assert.match(hit.headers["cache-status"], /; hit;/);
});

test("a non-idempotent request is never resent to the fallback upstream; an idempotent one is", async () => {
  reset();
  ctx.c.mode = "503";
  const post = await request(ctx.gw, "POST", "/v1/spare-write/orders", { headers: { "content-type": "application/json", "content-length": "7" }, body: "{\"n\":1}" });
  assert.equal(post.status, 503, "the first upstream's answer, not a second upstream's");
  assert.equal(post.headers["x-gatehouse-fallback"], undefined);
  assert.equal(ctx.b.hits.length, 0, "the POST reached no other upstream");
  assert.equal(ctx.c.hits.length, 1);
  const put = await request(ctx.gw, "PUT", "/v1/spare-write/orders/1", { headers: { "content-type": "application/json", "content-length": "7" }, body: "{\"n\":2}" });
  assert.equal(put.status, 200);
  assert.equal(put.headers["x-gatehouse-fallback"], "split-next");
  assert.equal(ctx.b.hits.at(-1).body, "{\"n\":2}", "the buffered body, sent again");
});

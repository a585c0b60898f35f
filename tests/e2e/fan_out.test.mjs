// Fan-out on the wire (routes/v1/dashboard.toml): three loopback origins, a merge, a slow
// optional part, a failing required part, and never more than 6 parts in flight.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, request, expectProblem, startLoopback, waitForLog } from "./harness.mjs";

async function startOrigin(name, handle) {
  const o = { name, hits: [], inFlight: 0, maxInFlight: 0, mode: "ok" };
  Object.assign(o, await startLoopback((req, res) => {
    o.inFlight++;
    o.maxInFlight = Math.max(o.maxInFlight, o.inFlight);
    o.hits.push({ url: req.url, headers: req.headers });
    res.on("close", () => o.inFlight--);
    handle(o, req, res);
  }));
  return o;
}
const send = (res, status, obj) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(obj));
};

const ctx = {};
before(async () => {
  ctx.a = await startOrigin("profiles", (o, req, res) => {
    if (o.mode === "500") return send(res, 500, { secret: "origin error body" });
    send(res, 200, { id: req.url.split("/").pop(), name: "Ada", password_hash: "x" });
  });
  ctx.b = await startOrigin("orders", (o, req, res) => {
    if (o.mode === "slow") return setTimeout(() => send(res, 200, { items: ["late"] }), 1500);
    send(res, 200, { items: [{ id: 1 }, { id: 2 }], url: req.url });
  });
  ctx.c = await startOrigin("recs", (o, req, res) => {
    if (req.url.startsWith("/wide/")) {
      const n = req.url.split("/").pop();
      return setTimeout(() => send(res, 200, { [`k${n}`]: true }), 150);
    }
    send(res, 200, { recs: ["x"] });
  });
  ctx.gw = await startGateway({ ECHO_ORIGIN: ctx.a.url, POOL_A: ctx.a.url, POOL_B: ctx.b.url, POOL_C: ctx.c.url, SHADOW: ctx.c.url });
});
after(async () => {
  await ctx.gw?.close();
  for (const o of [ctx.a, ctx.b, ctx.c]) await o?.close();
});

test("parts are merged: by name, a target taken, fields denied, a group", async () => {
  const res = await request(ctx.gw, "GET", "/v1/dashboard/42?status=open&x=1", { headers: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers["content-type"], "application/json");
  assert.deepEqual(res.json(), {
    user: { id: "42", name: "Ada" },
    orders: [{ id: 1 }, { id: 2 }],
    extra: { recommendations: { recs: ["x"] } },
  });
  assert.equal(res.headers["x-gatehouse-partial"], undefined);
  const order = ctx.b.hits.at(-1);
  assert.equal(order.url, "/orders?user=42&status=open");
  // Each part carries the request id and a child span of the same trace.
  const spans = [ctx.a, ctx.b, ctx.c].map((o) => o.hits.at(-1).headers.traceparent);
  assert.ok(spans.every((t) => t.startsWith("00-0af7651916cd43dd8448eb211c80319c-")), spans.join());
  assert.equal(new Set(spans).size, 3, "one span per part");
  assert.ok([ctx.a, ctx.b, ctx.c].every((o) => o.hits.at(-1).headers["x-request-id"] === res.headers["x-request-id"]));
});

test("a slow optional part is left out and the answer says so", async () => {
  ctx.b.mode = "slow";
  try {
    const started = Date.now();
    const res = await request(ctx.gw, "GET", "/v1/dashboard/7?status=open");
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started < 1400, "the part's 500 ms timeout, not the origin's 1.5 s");
    assert.equal(res.headers["x-gatehouse-partial"], "orders");
    assert.equal(res.json().orders, undefined);
    assert.deepEqual(res.json().user, { id: "7", name: "Ada" });
    // A missing template value fails the (optional) part too.
    const noStatus = await request(ctx.gw, "GET", "/v1/dashboard/7");
    assert.equal(noStatus.headers["x-gatehouse-partial"], "orders");
    // on_partial = "fail": the same slow part fails the answer.
    const strict = await request(ctx.gw, "GET", "/v1/dashboard-strict/7");
    expectProblem(assert, strict, 502, "aggregation-failed");
    assert.match(strict.json().detail, /part "orders"/);
  } finally {
    ctx.b.mode = "ok";
  }
  await waitForLog(ctx.gw, (l) => l.route === "v1-dashboard" && JSON.stringify(l.partial) === '["orders"]', "the access log lists the missing part");
});

test("a failing required part is a 502 naming it, never the origin's body", async () => {
  ctx.a.mode = "500";
  try {
    const res = await request(ctx.gw, "GET", "/v1/dashboard/1?status=open");
    expectProblem(assert, res, 502, "aggregation-failed");
    assert.match(res.json().detail, /part "user" failed \(status 500\)/);
    assert.ok(!res.text.includes("origin error body"));
  } finally {
    ctx.a.mode = "ok";
  }
});

test("never more than 6 parts are in flight; the rest queue", async () => {
  ctx.c.maxInFlight = 0;
  const res = await request(ctx.gw, "GET", "/v1/wide/9");
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json()).sort(), ["k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"]);
  assert.ok(ctx.c.maxInFlight <= 6, `max in flight ${ctx.c.maxInFlight}`);
  assert.equal(ctx.c.maxInFlight, 6, "and six do run at once");
});

test("a cache policy caches the merged answer", async () => {
  const before = ctx.a.hits.length + ctx.c.hits.length;
  const first = await request(ctx.gw, "GET", "/v1/dashboard-cached/5");
  assert.equal(first.status, 200, first.text);
  assert.match(first.headers["cache-status"], /stored/);
  const second = await request(ctx.gw, "GET", "/v1/dashboard-cached/5");
  assert.match(second.headers["cache-status"], /; hit;/);
  assert.deepEqual(second.json(), first.json());
  assert.deepEqual(first.json(), { user: { id: "5", name: "Ada", password_hash: "x" }, recommendations: { recs: ["x"] } });
  assert.equal(ctx.a.hits.length + ctx.c.hits.length, before + 2, "the parts ran once");
});

test("a part gets only the credentials it lists, and template values are encoded once", async () => {
  ctx.a.hits = [];
  ctx.b.hits = [];
  const res = await request(ctx.gw, "GET", "/v1/dashboard-private/42?status=open%20now", {
    headers: { authorization: "Bearer abc", cookie: "session=s3cret", "x-api-key": "k", "proxy-authorization": "Basic x" },
  });
  assert.equal(res.status, 200, res.text);
  const [user] = ctx.a.hits;
  const [orders] = ctx.b.hits;
  assert.equal(user.headers.authorization, "Bearer abc");
  for (const h of ["cookie", "x-api-key", "proxy-authorization"]) assert.equal(user.headers[h], undefined, `user: ${h}`);
  for (const h of ["authorization", "cookie", "x-api-key", "proxy-authorization"]) assert.equal(orders.headers[h], undefined, `orders: ${h}`);
  assert.equal(orders.url, "/orders?user=42&status=open%20now", "decoded once, encoded once");
  // `+` in a query value is a space, as a form would mean it.
  await request(ctx.gw, "GET", "/v1/dashboard-private/42?status=a+b");
  assert.equal(ctx.b.hits.at(-1).url, "/orders?user=42&status=a%20b");
});

// The request pipeline on the wire (issue 12 A.2): every answer leaves through one outbound
// step, whatever produced it - the origin, a cache hit, a refusal by a policy, or an error
// with no route at all. Each carries the request id, Server-Timing, hop-by-hop stripping, the
// response policies' edits and the RateLimit fields of the limits that ran.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { useGateway, request, expectProblem, startOfWindow, requestId } from "./harness.mjs";

const s = useGateway();
const tenant = `t-${crypto.randomBytes(6).toString("hex")}`;
const path = `/v1/cached-limited/${crypto.randomBytes(4).toString("hex")}`;

async function send(p, headers = {}) {
  const before = s.origin.received.length;
  const id = requestId("req");
  const res = await request(s.gw, "GET", p, { headers: { "x-request-id": id, ...headers } });
  return { res, id, reached: s.origin.received.slice(before) };
}

/** What the outbound step and the route's response policies put on every answer. */
function assertOutbound(res, id, what) {
  assert.equal(res.headers["x-request-id"], id, `${what}: request id`);
  assert.match(res.headers["server-timing"] ?? "", /^gateway;dur=/, `${what}: Server-Timing`);
  assert.equal(res.headers["x-content-type-options"], "nosniff", `${what}: default policy's response edit`);
  assert.equal(res.headers["x-powered-by"], undefined, `${what}: default policy's removal`);
}

function assertRouteAnswer(res, id, what, remaining) {
  assertOutbound(res, id, what);
  assert.equal(res.headers["x-served-by"], "gatehouse-demo", `${what}: route's response policy`);
  assert.equal(res.headers["x-origin-hop"], undefined, `${what}: headers named in Connection are stripped`);
  assert.match(res.headers["ratelimit-policy"] ?? "", /"tenant-reads";q=3;w=10/, `${what}: RateLimit-Policy`);
  assert.match(res.headers.ratelimit ?? "", new RegExp(`"tenant-reads";r=${remaining};t=\\d+`), `${what}: RateLimit`);
}

test("a miss from the origin, a cache hit and a 429 carry the same outbound headers", async () => {
  // The four requests share one 10 s window of the tenant-reads limit.
  await startOfWindow(10_000, 3_000);
  const tenantHeader = { "x-tenant": tenant };
  const miss = await send(path, tenantHeader);
  assert.equal(miss.res.status, 200, miss.res.text);
  assert.equal(miss.reached.length, 1);
  assert.match(miss.res.headers["cache-status"], /fwd=uri-miss; fwd-status=200; stored/);
  assertRouteAnswer(miss.res, miss.id, "origin answer", 2);

  const hit = await send(path, tenantHeader);
  assert.equal(hit.res.status, 200, hit.res.text);
  assert.deepEqual(hit.reached, [], "a hit does not reach the origin");
  assert.match(hit.res.headers["cache-status"], /Gatehouse; hit/);
  assertRouteAnswer(hit.res, hit.id, "cache hit", 1);

  await send(path, tenantHeader);
  const refused = await send(path, tenantHeader);
  expectProblem(assert, refused.res, 429, "rate-limited");
  assert.deepEqual(refused.reached, []);
  assert.ok(refused.res.headers["retry-after"], "Retry-After");
  assertRouteAnswer(refused.res, refused.id, "429 problem", 0);
});

test("a refusal by an authentication policy passes the outbound step and response policies", async () => {
  const { res, id, reached } = await send("/v1/me");
  expectProblem(assert, res, 401, "unauthorized");
  assert.deepEqual(reached, []);
  assertOutbound(res, id, "401 problem");
});

test("an upstream failure becomes a problem that passes the outbound step", async () => {
  const { res, id } = await send("/v1/reports/slow");
  expectProblem(assert, res, 504, "upstream-timeout");
  assertOutbound(res, id, "504 problem");
});

test("an error before any route matched still gets the request id and Server-Timing", async () => {
  const { res, id } = await send("/v1/no-such-route");
  expectProblem(assert, res, 404, "route-not-found");
  assert.equal(res.headers["x-request-id"], id);
  assert.match(res.headers["server-timing"], /^gateway;dur=/);
});

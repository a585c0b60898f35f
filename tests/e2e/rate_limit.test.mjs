// Rate limits end to end through real Durable Objects (Miniflare's RateLimiter namespace).
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { useGateway, request, expectProblem } from "./harness.mjs";

const s = useGateway();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test("exact: 150 requests from 50 concurrent clients against 100 per window admit exactly 100", async () => {
  // Start just after a 10 s window boundary so the whole burst lands in one window.
  const wait = 10_000 - (Date.now() % 10_000);
  if (wait > 8_000 || wait < 500) await sleep(wait + 50);
  const send = () => request(s.gw, "POST", "/v1/flash-sale", { body: "x" });
  const statuses = [];
  await Promise.all(Array.from({ length: 50 }, async () => {
    for (let i = 0; i < 3; i++) statuses.push((await send()).status);
  }));
  assert.equal(statuses.filter((x) => x === 200).length, 100, JSON.stringify(statuses));
  assert.equal(statuses.filter((x) => x === 429).length, 50);
});

test("a refusal is a 429 problem with Retry-After and the RateLimit fields", async () => {
  const tenant = `t-${crypto.randomUUID()}`;
  const get = () => request(s.gw, "GET", "/v1/tenants/items", { headers: { "x-tenant": tenant } });
  const seen = [];
  for (let i = 0; i < 3; i++) {
    const res = await get();
    assert.equal(res.status, 200);
    assert.equal(res.headers["ratelimit-policy"], '"tenant";q=3;w=2');
    seen.push(res.headers.ratelimit);
  }
  assert.match(seen[0], /^"tenant";r=2;t=[12]$/);
  assert.match(seen[2], /^"tenant";r=0;t=[12]$/);
  const refused = await get();
  const p = expectProblem(assert, refused, 429, "rate-limited");
  assert.match(p.detail, /retry in [12] s/);
  assert.match(refused.headers["retry-after"], /^[12]$/);
  assert.match(refused.headers.ratelimit, /^"tenant";r=0;t=[12]$/);
  // Another tenant has its own count.
  const other = await request(s.gw, "GET", "/v1/tenants/items", { headers: { "x-tenant": `${tenant}-b` } });
  assert.equal(other.status, 200);
  // The window rolls over.
  await sleep(Number(refused.headers["retry-after"]) * 1000 + 50);
  assert.equal((await get()).status, 200);
});

test("token bucket: a burst of 10, then refill at 5 per second", async () => {
  const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
  const get = () => request(s.gw, "GET", "/v1/search", { headers: { "cf-connecting-ip": ip } });
  const burst = [];
  for (let i = 0; i < 12; i++) burst.push((await get()).status);
  assert.deepEqual(burst.filter((x) => x === 200).length, 10, JSON.stringify(burst));
  await sleep(450); // ~2 tokens
  const after = [];
  for (let i = 0; i < 3; i++) after.push((await get()).status);
  assert.ok(after.filter((x) => x === 200).length >= 1 && after.filter((x) => x === 200).length <= 3, JSON.stringify(after));
});

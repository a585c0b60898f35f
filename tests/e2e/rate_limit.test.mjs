// Rate limits end to end through real Durable Objects (Miniflare's RateLimiter namespace).
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  useGateway, startGateway, withGateway, request, expectProblem, sleep, until, startOfWindow, putApiKey, clockAt, calendarNow, DEFAULT_DAY,
} from "./harness.mjs";

const s = useGateway();

test("exact: 150 requests from 50 concurrent clients against 100 per window admit exactly 100", async () => {
  // The whole burst must land in one 10 s window: with less than 6 s of this one left, start
  // just after the next boundary.
  await startOfWindow(10_000, 6_000);
  const send = () => request(s.gw, "POST", "/v1/flash-sale", { body: "x" });
  const statuses = [];
  await Promise.all(Array.from({ length: 50 }, async () => {
    for (let i = 0; i < 3; i++) statuses.push((await send()).status);
  }));
  assert.equal(statuses.filter((x) => x === 200).length, 100, JSON.stringify(statuses));
  assert.equal(statuses.filter((x) => x === 429).length, 50);
});


test("exact: 40 concurrent requests for one key against 25 per window admit exactly 25, in fewer limiter calls, each with its own remaining count", async () => {
  await startOfWindow(10_000, 6_000);
  const tenant = `burst-${crypto.randomUUID()}`;
  const responses = await Promise.all(Array.from({ length: 40 }, () =>
    request(s.gw, "GET", "/v1/burst", { headers: { "x-tenant": tenant } })));
  const statuses = responses.map((r) => r.status);
  assert.equal(statuses.filter((x) => x === 200).length, 25, JSON.stringify(statuses));
  assert.equal(statuses.filter((x) => x === 429).length, 15, JSON.stringify(statuses));
  // Each admitted request reports the count left after it, as if they had come one by one.
  const remaining = responses.filter((r) => r.status === 200).map((r) => {
    const m = /^"burst";r=(\d+);t=\d+$/.exec(r.headers.ratelimit);
    assert.ok(m, r.headers.ratelimit);
    return Number(m[1]);
  });
  assert.deepEqual(remaining.sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i));
  for (const refused of responses.filter((r) => r.status === 429)) {
    expectProblem(assert, refused, 429, "rate-limited");
    assert.ok(Number(refused.headers["retry-after"]) >= 1 && Number(refused.headers["retry-after"]) <= 10);
  }
  // The object counts the take calls it answered: requests that arrived while one was in
  // flight shared the next.
  const ns = await s.gw.mf.getDurableObjectNamespace("RATE_LIMITER");
  const state = JSON.parse(await ns.get(ns.idFromName(`v1-burst#1|${tenant}`)).peek());
  assert.equal(state.limits.burst.count, 25, JSON.stringify(state));
  assert.ok(state.takes >= 1 && state.takes < 40, `${state.takes} take calls for 40 requests`);
});

/** Asks the limiter object itself (not through the gateway) how much it still has. */
async function objectRemaining(name, limits) {
  const ns = await s.gw.mf.getDurableObjectNamespace("RATE_LIMITER");
  const stub = ns.get(ns.idFromName(name));
  const res = await stub.fetch("https://rate-limiter/take", { method: "POST", body: JSON.stringify({ limits, cost: 0 }) });
  return (await res.json()).decisions.map((d) => d.remaining);
}

const CATALOG = [{ name: "catalog", limit: 100, window_ms: 10_000, algorithm: "fixed_window" }];

test("leased: 50 concurrent clients against 100 per window still admit exactly 100 in one isolate", async () => {
  await startOfWindow(10_000, 8_000);
  const ip = `203.0.113.${Math.floor(Math.random() * 250)}`;
  const send = () => request(s.gw, "GET", "/v1/catalog", { headers: { "cf-connecting-ip": ip } });
  const statuses = [];
  await Promise.all(Array.from({ length: 50 }, async () => {
    for (let i = 0; i < 3; i++) statuses.push((await send()).status);
  }));
  assert.equal(statuses.filter((x) => x === 200).length, 100, JSON.stringify(statuses));
  assert.equal(statuses.filter((x) => x === 429).length, 50);
  assert.deepEqual(await objectRemaining(`v1-catalog#1|${ip}`, CATALOG), [0]);
});

test("leased: the isolate spends leased permits locally, reports exact headers, and refuses locally", async () => {
  await startOfWindow(10_000, 6_000);
  const ip = `2001:db8::${crypto.randomBytes(2).toString("hex")}`;
  const get = () => request(s.gw, "GET", "/v1/catalog", { headers: { "cf-connecting-ip": ip } });
  const seen = [];
  for (let i = 0; i < 4; i++) {
    const res = await get();
    assert.equal(res.status, 200);
    assert.equal(res.headers["ratelimit-policy"], '"catalog";q=100;w=10');
    seen.push(res.headers.ratelimit.replace(/;t=\d+$/, ""));
  }
  assert.deepEqual(seen, ['"catalog";r=99', '"catalog";r=98', '"catalog";r=97', '"catalog";r=96']);
  // Leases of 1, 2 and 4 permits: the object has counted 7, the isolate holds 3.
  assert.deepEqual(await objectRemaining(`v1-catalog#1|${ip}`, CATALOG), [93]);
  for (let i = 0; i < 96; i++) assert.equal((await get()).status, 200);
  const refused = await get();
  expectProblem(assert, refused, 429, "rate-limited");
  assert.match(refused.headers.ratelimit, /^"catalog";r=0;t=\d+$/);
  assert.ok(Number(refused.headers["retry-after"]) >= 1 && Number(refused.headers["retry-after"]) <= 10);
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
  const get = async () => (await request(s.gw, "GET", "/v1/search", { headers: { "cf-connecting-ip": ip } })).status;
  // A burst of 20 at once: 10 from the full bucket plus whatever refilled while it ran (one
  // token per 200 ms), however slow the machine.
  let started = Date.now();
  const burst = await Promise.all(Array.from({ length: 20 }, get));
  const burstMs = Date.now() - started;
  const burstOk = burst.filter((x) => x === 200).length;
  assert.ok(burstOk >= 10 && burstOk <= 10 + Math.ceil(burstMs / 200), `${burstOk} of 20 in ${burstMs} ms: ${burst}`);
  assert.ok(burst.includes(429), "the 20-request burst outruns the bucket");
  // Then a steady stream for 1.5 s gets about 5 per second: the refill rate, not the burst.
  started = Date.now();
  let refilled = 0;
  while (Date.now() - started < 1_500) if ((await get()) === 200) refilled++;
  const ms = Date.now() - started;
  assert.ok(refilled >= Math.floor(ms / 200) - 2 && refilled <= Math.ceil(ms / 200) + 1, `${refilled} admitted in ${ms} ms`);
});

/** A gateway whose RATE_LIMITER objects are `className` from `script` (another worker). */
function gatewayWithLimiter(className, script) {
  return startGateway(
    { ECHO_ORIGIN: s.origin.url },
    { durableObjects: { RATE_LIMITER: { className, scriptName: "faulty-limiter" } } },
    [{ name: "faulty-limiter", modules: true, script: `${script}\nexport default { fetch() { return new Response("unused"); } }` }],
  );
}

/**
 * Both `on_error` answers against `gw`'s failing limiter: /v1/search (per-ip, on_error =
 * "allow") goes through with a warning naming the policy; /v1/partner/reports
 * (per-consumer, the default "deny") is 503 rate-limit-unavailable with Retry-After. Each
 * answer comes within `bound` ms.
 */
async function expectOnError(gw, bound) {
  let started = Date.now();
  const allowed = await request(gw, "GET", "/v1/search");
  assert.ok(Date.now() - started < bound, `allow answered after ${Date.now() - started} ms`);
  assert.equal(allowed.status, 200, allowed.text);
  assert.equal(allowed.headers.ratelimit, undefined, "no RateLimit fields without a decision");
  const warned = () => gw.logs.filter((l) => l.includes('"level":"warn"') && l.includes("per-ip") && l.includes('on_error = \\"allow\\"'));
  await until(() => warned().length > 0, "the on_error = allow warning");
  assert.equal(warned().length, 1, gw.logs.join("\n"));

  const key = await putApiKey(gw, { id: "acme" }, { worker: "gateway" });
  started = Date.now();
  const denied = await request(gw, "GET", "/v1/partner/reports", { headers: { "x-api-key": key } });
  assert.ok(Date.now() - started < bound, `deny answered after ${Date.now() - started} ms`);
  const p = expectProblem(assert, denied, 503, "rate-limit-unavailable");
  assert.match(p.detail, /"per-consumer" could not be checked/);
  assert.equal(denied.headers["retry-after"], "5");
}

test("a limiter that throws: on_error = \"allow\" lets the request through and logs it; the default \"deny\" is a 503", async () => {
  const gw = await gatewayWithLimiter("BrokenLimiter", `export class BrokenLimiter { fetch() { throw new Error("limiter down"); } }`);
  try {
    await expectOnError(gw, 1_000);
  } finally {
    await gw.close();
  }
});

test("a limiter slower than the policy's timeout (1 s) is answered as on_error says, at the timeout", async () => {
  const gw = await gatewayWithLimiter("SlowLimiter", `export class SlowLimiter {
    async fetch() { await new Promise((r) => setTimeout(r, 5000)); return new Response('{"decisions":[]}'); }
  }`);
  try {
    // Each answer waits the 1 s timeout, not the object's 5 s.
    await expectOnError(gw, 2_500);
  } finally {
    await gw.close();
  }
});

/** A gateway on its own calendar (`iso`), for the quota tests. */
const withClock = (iso, body) => withGateway({ ECHO_ORIGIN: s.origin.url, ...clockAt(iso) }, body);

const exportsCall = (gw, key) => request(gw, "POST", "/v1/partner/exports", { headers: { "x-api-key": key }, body: "{}" });
const nextUtcMidnight = (ms) => (Math.floor(ms / 86_400_000) + 1) * 86_400_000;

test("quotas: a daily quota per consumer on UTC days, larger on the gold plan", async () => {
  // Noon on the gateway's calendar: the day cannot end during the test, whatever today is.
  await withClock(`${DEFAULT_DAY}T12:00:00Z`, async (gw) => {
    const free = await putApiKey(gw, { id: `free-${crypto.randomUUID()}`, plan: "free" });
    const gold = await putApiKey(gw, { id: `gold-${crypto.randomUUID()}`, plan: "gold" });
    const freeStatuses = [];
    for (let i = 0; i < 7; i++) freeStatuses.push((await exportsCall(gw, free)).status);
    assert.deepEqual(freeStatuses, [200, 200, 200, 200, 200, 429, 429]);
    const refused = await exportsCall(gw, free);
    expectProblem(assert, refused, 429, "rate-limited");
    assert.equal(refused.headers["ratelimit-policy"], '"exports";q=5;w=86400');
    // Retry-After is the time to the next UTC midnight of the gateway's calendar (~12 h).
    const now = calendarNow(gw);
    const expected = Math.ceil((nextUtcMidnight(now) - now) / 1000);
    assert.ok(Math.abs(Number(refused.headers["retry-after"]) - expected) <= 5, `${refused.headers["retry-after"]} vs ${expected}`);
    let goldOk = 0;
    for (let i = 0; i < 10; i++) if ((await exportsCall(gw, gold)).status === 200) goldOk++;
    assert.equal(goldOk, 8);
  });
});

test("quotas: a daily quota used up just before UTC midnight starts afresh at midnight", async () => {
  // Started a little earlier (Miniflare takes a moment to start), then 2 s before midnight.
  await withClock(`${DEFAULT_DAY}T23:59:50Z`, async (gw) => {
    const free = await putApiKey(gw, { id: `midnight-${crypto.randomUUID()}`, plan: "free" });
    const twoSecondsBefore = Date.parse(`${DEFAULT_DAY}T23:59:58Z`);
    assert.ok(calendarNow(gw) < twoSecondsBefore, "the gateway started within 8 s");
    await sleep(twoSecondsBefore - calendarNow(gw));
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await exportsCall(gw, free)).status);
    assert.ok(calendarNow(gw) < nextUtcMidnight(Date.parse(`${DEFAULT_DAY}T12:00:00Z`)), "still the same day");
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    const refused = await exportsCall(gw, free);
    assert.ok(Number(refused.headers["retry-after"]) <= 2, `Retry-After ${refused.headers["retry-after"]} s: midnight is 2 s away`);
    // Refused until midnight, then a fresh day: 5 more, then refused again.
    await until(async () => (await exportsCall(gw, free)).status === 200, "the new UTC day's quota", 5_000);
    assert.ok(calendarNow(gw) >= nextUtcMidnight(Date.parse(`${DEFAULT_DAY}T12:00:00Z`)), "admitted only after midnight");
    const after = [];
    for (let i = 0; i < 5; i++) after.push((await exportsCall(gw, free)).status);
    assert.deepEqual(after, [200, 200, 200, 200, 429], "the first of the new day was the poll's");
  });
});

test("an idle limiter object deletes its storage with an alarm (after its longest window, at least 60 s)", async () => {
  const tenant = `idle-${crypto.randomUUID()}`;
  const res = await request(s.gw, "GET", "/v1/tenants/items", { headers: { "x-tenant": tenant } });
  assert.equal(res.status, 200);
  const ns = await s.gw.mf.getDurableObjectNamespace("RATE_LIMITER");
  const stub = ns.get(ns.idFromName(`v1-tenant-items#1|${tenant}|v1-tenant-items`));
  const describe = async () => (await stub.fetch("https://rate-limiter/")).json();
  const before = await describe();
  assert.equal(before.keys, 1, JSON.stringify(before));
  assert.ok(before.alarm > Date.now() + 50_000 && before.alarm <= Date.now() + 61_000, JSON.stringify(before));
  const after = await until(async () => {
    const d = await describe();
    return d.keys === 0 && d;
  }, "the alarm deleting the object's storage", before.alarm - Date.now() + 10_000);
  assert.ok(Date.now() >= before.alarm, "not before the alarm");
  assert.deepEqual(after, { keys: 0, alarm: null });
  // The next request starts afresh.
  const again = await request(s.gw, "GET", "/v1/tenants/items", { headers: { "x-tenant": tenant } });
  assert.match(again.headers.ratelimit, /^"tenant";r=2;/);
});

test("a restarted runtime loses no counts: the limiter persists before it answers", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-do-"));
  const gw = await startGateway({ ECHO_ORIGIN: s.origin.url }, { durableObjectsPersist: dir });
  try {
    await startOfWindow(2_000, 1_500);
    const tenant = `restart-${crypto.randomUUID()}`;
    const get = () => request(gw, "GET", "/v1/tenants/items", { headers: { "x-tenant": tenant } });
    assert.equal((await get()).status, 200);
    assert.equal((await get()).status, 200);
    await gw.restart();
    const third = await get();
    assert.equal(third.status, 200);
    assert.match(third.headers.ratelimit, /^"tenant";r=0;/, "the two earlier requests still count");
    assert.equal((await get()).status, 429);
  } finally {
    await gw.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

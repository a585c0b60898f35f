// Response caching end to end through Miniflare's real Cache API, with the loopback origin
// counting what reaches it.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { useGateway, startGateway, request, expectProblem } from "./harness.mjs";
import { startOrigin } from "../../scripts/demo-origin.mjs";

const ADMIN_TOKEN = crypto.randomBytes(32).toString("base64url");
const s = useGateway({ ADMIN_TOKEN });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const get = (path, headers = {}) => request(s.gw, "GET", path, { headers });
const id = () => crypto.randomUUID();
/** Requests the origin received for /internal/cacheable/<key>. */
const originHits = (key) => s.origin.received.filter((r) => r.path === `/internal/cacheable/${key}`);

test("a miss is stored and the next request is a hit the origin never sees", async () => {
  const key = id();
  const path = `/v1/cached/${key}?cc=max-age%3D60`;
  const first = await get(path);
  assert.equal(first.status, 200);
  assert.equal(first.headers["cache-status"], "Gatehouse; fwd=uri-miss; fwd-status=200; stored");
  assert.equal(first.headers.age, "0");
  await sleep(50); // the put runs after the response
  const second = await get(path);
  assert.equal(second.status, 200);
  assert.match(second.headers["cache-status"], /^Gatehouse; hit; ttl=(59|60)$/);
  assert.match(second.headers.age, /^[01]$/);
  assert.equal(second.headers["cache-control"], "max-age=60", "the origin's Cache-Control is what the client sees");
  assert.equal(second.text, first.text);
  assert.equal(Number(second.headers["content-length"]), Buffer.byteLength(second.text), "a hit declares its length");
  assert.equal(second.headers["transfer-encoding"], undefined);
  assert.equal(originHits(key).length, 1);
  assert.ok(second.headers["x-request-id"] && second.headers["x-request-id"] !== first.headers["x-request-id"]);
  for (const h of Object.keys(second.headers)) assert.ok(!h.startsWith("x-gatehouse-"), h);
  const head = await request(s.gw, "HEAD", path);
  assert.equal(head.status, 200);
  assert.equal(head.text, "");
  assert.match(head.headers["cache-status"], /; hit;/);
});

test("s-maxage is preferred over max-age, and a route ttl over both; entries expire", async () => {
  const key = id();
  await get(`/v1/cached-ttl/${key}?cc=max-age%3D600`);
  await sleep(50);
  assert.match((await get(`/v1/cached-ttl/${key}?cc=max-age%3D600`)).headers["cache-status"], /hit; ttl=[12]$/);
  await sleep(2100);
  const after = await get(`/v1/cached-ttl/${key}?cc=max-age%3D600`);
  assert.equal(after.headers["cache-status"], "Gatehouse; fwd=stale; fwd-status=304; stored", "revalidated with the stored ETag");
  assert.equal(originHits(key).length, 2);
  const sm = id();
  await get(`/v1/cached/${sm}?cc=max-age%3D5%2C%20s-maxage%3D300`);
  await sleep(50);
  assert.match((await get(`/v1/cached/${sm}?cc=max-age%3D5%2C%20s-maxage%3D300`)).headers["cache-status"], /hit; ttl=(299|300)$/);
});

for (const [what, query, detail] of [
  ["no-store", "cc=no-store%2C%20max-age%3D60", "no-store"],
  ["private", "cc=private%2C%20max-age%3D60", "private"],
  ["Set-Cookie", "cc=max-age%3D60&cookie=1", "set-cookie"],
  ["no freshness information", "", "no-lifetime"],
]) {
  test(`a response with ${what} is not stored`, async () => {
    const key = id();
    for (let i = 0; i < 2; i++) {
      const res = await get(`/v1/cached/${key}?${query}`);
      assert.equal(res.headers["cache-status"], `Gatehouse; fwd=uri-miss; fwd-status=200; detail=${detail}`);
      await sleep(50);
    }
    assert.equal(originHits(key).length, 2);
  });
}

test("query parameters are sorted and marketing parameters neither keyed nor forwarded", async () => {
  const key = id();
  await get(`/v1/cached/${key}?cc=max-age%3D60&b=2&a=1&utm_source=mail`);
  await sleep(50);
  const again = await get(`/v1/cached/${key}?a=1&utm_campaign=x&b=2&cc=max-age%3D60`);
  assert.match(again.headers["cache-status"], /; hit;/);
  const hits = originHits(key);
  assert.equal(hits.length, 1);
  assert.equal(hits[0].query, "?a=1&b=2&cc=max-age%3D60", "the origin gets the canonical query");
});

test("Vary is honoured: another value of a varying header is a miss", async () => {
  const key = id();
  const path = `/v1/cached/${key}?cc=max-age%3D60&vary=accept-language`;
  await get(path, { "accept-language": "en" });
  await sleep(50);
  const en = await get(path, { "accept-language": "en" });
  assert.match(en.headers["cache-status"], /; hit;/);
  assert.equal(en.headers.vary, "accept-language");
  const de = await get(path, { "accept-language": "de" });
  assert.equal(de.headers["cache-status"], "Gatehouse; fwd=vary-miss; fwd-status=200; stored");
  assert.equal(originHits(key).length, 2);
  assert.equal(originHits(key)[1].headers["accept-language"], "de");
});

test("validators on a hit: If-None-Match and If-Modified-Since get 304", async () => {
  const key = id();
  const path = `/v1/cached/${key}?cc=max-age%3D60`;
  await get(path);
  await sleep(50);
  const inm = await get(path, { "if-none-match": 'W/"v1", "other"' });
  assert.equal(inm.status, 304);
  assert.equal(inm.text, "");
  assert.equal(inm.headers.etag, '"v1"');
  assert.match(inm.headers["cache-status"], /; hit;/);
  const ims = await get(path, { "if-modified-since": "Mon, 23 Nov 2026 00:00:00 GMT" });
  assert.equal(ims.status, 304);
  // Any later date, in any of the three HTTP date formats, is a 304 too; an earlier one or
  // an unreadable one gets the body.
  for (const later of ["Tue, 24 Nov 2026 08:00:00 GMT", "Tuesday, 24-Nov-26 08:00:00 GMT", "Tue Nov 24 08:00:00 2026"]) {
    assert.equal((await get(path, { "if-modified-since": later })).status, 304, later);
  }
  assert.equal((await get(path, { "if-modified-since": "Sun, 22 Nov 2026 08:00:00 GMT" })).status, 200);
  assert.equal((await get(path, { "if-modified-since": "not a date" })).status, 200);
  const changed = await get(path, { "if-none-match": '"v2"' });
  assert.equal(changed.status, 200);
  assert.equal(originHits(key).length, 1);
});

async function apiKey(consumer) {
  const kv = await s.gw.mf.getKVNamespace("API_KEYS");
  const key = crypto.randomBytes(32).toString("base64url");
  const hash = crypto.createHash("sha256").update(key).digest("hex");
  await kv.put(`sha256:${hash}`, JSON.stringify({ id: consumer, enabled: true }));
  return key;
}

test("protected routes authenticate before the lookup and keep one entry per consumer", async () => {
  const key = id();
  const alice = await apiKey(`alice-${key}`);
  const bob = await apiKey(`bob-${key}`);
  const path = `/v1/partner/cached/${key}`;
  await get(path, { "x-api-key": alice });
  await sleep(50);
  assert.match((await get(path, { "x-api-key": alice })).headers["cache-status"], /; hit;/);
  const bobs = await get(path, { "x-api-key": bob });
  assert.match(bobs.headers["cache-status"], /fwd=uri-miss/, "bob never gets alice's entry");
  assert.equal(bobs.json().headers["x-consumer-id"], `bob-${key}`);
  const anonymous = await get(path);
  assert.equal(anonymous.status, 401, "no credential, no cached copy");
  const wrong = await get(path, { "x-api-key": "not-a-key" });
  assert.equal(wrong.status, 401);
  assert.equal(originHits(key).length, 2);
  // key_headers: another Accept-Language is another entry.
  await sleep(50);
  const de = await get(path, { "x-api-key": alice, "accept-language": "de" });
  assert.match(de.headers["cache-status"], /fwd=uri-miss/);
});

test("poisoning: headers the key ignores never reach the origin, so cannot change the stored copy", async () => {
  const key = id();
  const path = `/v1/cached/${key}?cc=max-age%3D60`;
  const attack = await get(path, {
    "x-forwarded-host": "evil.example",
    "x-forwarded-scheme": "http",
    "x-original-url": "/admin",
    "x-rewrite-url": "/admin",
    "x-http-method-override": "DELETE",
    "x-evil": "1",
    forwarded: "host=evil.example",
    cookie: "session=attacker",
    "user-agent": "evil-bot",
  });
  assert.equal(attack.status, 200);
  const seen = originHits(key)[0].headers;
  for (const h of ["user-agent", "x-forwarded-scheme", "x-original-url", "x-rewrite-url", "x-http-method-override", "x-evil", "forwarded", "cookie", "x-forwarded-for"]) {
    assert.equal(seen[h], undefined, `${h} reached the origin`);
  }
  assert.equal(seen["x-forwarded-host"], `127.0.0.1:${s.gw.port}`);
  await sleep(50);
  const victim = await get(path);
  assert.match(victim.headers["cache-status"], /; hit;/);
  assert.equal(victim.json().headers["x-forwarded-host"], `127.0.0.1:${s.gw.port}`);
  assert.equal(originHits(key).length, 1);
});

test("a stale entry is revalidated with its ETag: a 304 refreshes it without a new body", async () => {
  const key = id();
  const path = `/v1/cached/${key}?cc=max-age%3D1`;
  const first = await get(path);
  await sleep(1100);
  const second = await get(path);
  assert.equal(second.status, 200);
  assert.equal(second.headers["cache-status"], "Gatehouse; fwd=stale; fwd-status=304; stored");
  assert.equal(second.text, first.text, "the stored body, not a new one");
  assert.equal(second.headers.age, "0");
  const hits = originHits(key);
  assert.equal(hits.length, 2);
  assert.equal(hits[1].headers["if-none-match"], '"v1"');
  await sleep(50);
  assert.match((await get(path)).headers["cache-status"], /; hit;/, "fresh again after the 304");
  assert.equal(originHits(key).length, 2);
});

test("stale-if-error: with the origin down a stale entry is served inside the window, else 502", async () => {
  const origin = await startOrigin();
  const gw = await startGateway({ ECHO_ORIGIN: origin.url });
  try {
    const key = id();
    const withSie = `/v1/cached/${key}?cc=max-age%3D1%2C%20stale-if-error%3D60`;
    const without = `/v1/cached/${key}-b?cc=max-age%3D1`;
    const first = await request(gw, "GET", withSie);
    assert.equal(first.status, 200);
    assert.equal((await request(gw, "GET", without)).status, 200);
    await sleep(1100);
    await origin.close();
    const stale = await request(gw, "GET", withSie);
    assert.equal(stale.status, 200, stale.text);
    assert.equal(stale.text, first.text);
    assert.equal(stale.headers["cache-status"], "Gatehouse; fwd=stale; fwd-status=502; detail=stale-if-error");
    assert.match(stale.headers.age, /^[12]$/);
    expectProblem(assert, await request(gw, "GET", without), 502, "upstream-unreachable");
  } finally {
    await gw.close();
  }
});

test("stale-while-revalidate: the stale entry is served at once and refreshed after the response", async () => {
  const key = id();
  const path = `/v1/cached/${key}?cc=max-age%3D1%2C%20stale-while-revalidate%3D30`;
  const first = await get(path);
  await sleep(1100);
  const stale = await get(path);
  assert.equal(stale.status, 200);
  assert.match(stale.headers["cache-status"], /^Gatehouse; hit; ttl=-?\d+; detail=stale-while-revalidate$/);
  assert.equal(stale.text, first.text);
  for (let i = 0; i < 50 && originHits(key).length < 2; i++) await sleep(20);
  await sleep(100); // the refreshed entry is put after the origin's 304
  const hits = originHits(key);
  assert.equal(hits.length, 2, "one background revalidation");
  assert.equal(hits[1].headers["if-none-match"], '"v1"');
  const fresh = await get(path);
  assert.match(fresh.headers["cache-status"], /^Gatehouse; hit; ttl=[01]$/);
  assert.equal(originHits(key).length, 2);
});

const purge = (body, token = ADMIN_TOKEN) =>
  request(s.gw, "POST", "/__gatehouse/purge", {
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

/** Stores `path` and checks the next request is a hit. */
async function cached(path, headers = {}) {
  await get(path, headers);
  await sleep(50);
  assert.match((await get(path, headers)).headers["cache-status"], /; hit;/, path);
}

test("purge by route: every entry of the route is a miss afterwards", async () => {
  const a = id();
  const b = id();
  await cached(`/v1/cached/${a}?cc=max-age%3D600`);
  await cached(`/v1/cached/${b}?cc=max-age%3D600`);
  await cached(`/v1/cached-ttl/${a}?x=1`);
  const res = await purge({ route: "v1-cached" });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers["content-type"], "application/json");
  assert.equal(res.json().purged, "route");
  assert.ok(res.json().generation >= 1);
  assert.match((await get(`/v1/cached/${a}?cc=max-age%3D600`)).headers["cache-status"], /fwd=uri-miss/);
  assert.match((await get(`/v1/cached/${b}?cc=max-age%3D600`)).headers["cache-status"], /fwd=uri-miss/);
  assert.match((await get(`/v1/cached-ttl/${a}?x=1`)).headers["cache-status"], /; hit;/, "other routes keep theirs");
});

test("purge by tag: route tags and origin Cache-Tag headers", async () => {
  const tag = `t-${id()}`;
  const k = id();
  await cached(`/v1/cached/${k}?cc=max-age%3D600&tag=${tag}`);
  await cached(`/v1/cached/${k}-other?cc=max-age%3D600&tag=other-${tag}`);
  assert.equal((await purge({ tag })).status, 200);
  assert.match((await get(`/v1/cached/${k}?cc=max-age%3D600&tag=${tag}`)).headers["cache-status"], /fwd=uri-miss/);
  assert.match((await get(`/v1/cached/${k}-other?cc=max-age%3D600&tag=other-${tag}`)).headers["cache-status"], /; hit;/);
  const r = id();
  await cached(`/v1/cached-ttl/${r}`);
  assert.equal((await purge({ tag: "demo" })).status, 200);
  assert.match((await get(`/v1/cached-ttl/${r}`)).headers["cache-status"], /fwd=uri-miss/, "the route's own tag");
});

test("purge by URL deletes the shared entry for that URL (query normalised the route's way)", async () => {
  const k = id();
  await cached(`/v1/cached/${k}?cc=max-age%3D600&b=2&a=1`);
  const res = await purge({ url: `http://127.0.0.1:${s.gw.port}/v1/cached/${k}?a=1&utm_source=x&b=2&cc=max-age%3D600` });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json(), { purged: "url", url: `http://127.0.0.1:${s.gw.port}/v1/cached/${k}?a=1&utm_source=x&b=2&cc=max-age%3D600`, deleted: true });
  assert.match((await get(`/v1/cached/${k}?cc=max-age%3D600&b=2&a=1`)).headers["cache-status"], /fwd=uri-miss/);
});

test("the purge endpoint refuses wrong tokens, other methods and bad bodies with problems", async () => {
  const wrong = await purge({ route: "v1-cached" }, "not-the-token");
  const p = expectProblem(assert, wrong, 401, "admin-unauthorized");
  assert.match(wrong.headers["www-authenticate"], /^Bearer realm="gatehouse-admin"/);
  assert.ok(p.detail.includes("ADMIN_TOKEN"));
  expectProblem(assert, await request(s.gw, "POST", "/__gatehouse/purge", { body: "{}" }), 401, "admin-unauthorized");
  expectProblem(assert, await request(s.gw, "GET", "/__gatehouse/purge"), 405, "method-not-allowed");
  for (const [body, detail] of [
    ["not json", /must be JSON/],
    [{}, /exactly one/],
    [{ route: "v1-cached", tag: "x" }, /exactly one/],
    [{ route: "v1-get-user" }, /no cached route/],
    [{ tag: "bad tag!" }, /is not a tag/],
    [{ url: "/v1/cached/1" }, /absolute/],
    [{ url: `http://127.0.0.1:${s.gw.port}/v1/nothing-here` }, /no route serves/],
    [{ url: `http://127.0.0.1:${s.gw.port}/v1/users/1` }, /has no cache policy/],
    [{ route: "v1-cached", extra: 1 }, /unknown field/],
    ["x".repeat(20000), /larger than/],
  ]) {
    const res = await purge(body);
    const problem = expectProblem(assert, res, 400, "bad-admin-request");
    assert.match(problem.detail, detail, JSON.stringify(body).slice(0, 80));
  }
});

test("without an ADMIN_TOKEN secret the purge endpoint does not exist", async () => {
  const gw = await startGateway({ ECHO_ORIGIN: s.origin.url });
  try {
    const res = await request(gw, "POST", "/__gatehouse/purge", { headers: { authorization: "Bearer x" }, body: '{"route":"v1-cached"}' });
    expectProblem(assert, res, 404, "route-not-found");
  } finally {
    await gw.close();
  }
});

test("without the purge counters (no CACHE_GENERATIONS binding) cached routes bypass the cache", async () => {
  const gw = await startGateway({ ECHO_ORIGIN: s.origin.url }, { durableObjects: { RATE_LIMITER: "RateLimiter" } });
  try {
    const key = id();
    for (let i = 0; i < 2; i++) {
      const res = await request(gw, "GET", `/v1/cached/${key}?cc=max-age%3D600`);
      assert.equal(res.status, 200);
      assert.equal(res.headers["cache-status"], "Gatehouse; fwd=bypass; fwd-status=200; detail=purge-counters-unavailable");
      assert.equal(res.headers.age, "0");
      await sleep(50);
    }
    assert.equal(originHits(key).length, 2);
  } finally {
    await gw.close();
  }
});

test("Expires - Date gives the lifetime when Cache-Control has none; an invalid Expires is in the past", async () => {
  const key = id();
  await get(`/v1/cached/${key}?expires=60`);
  await sleep(50);
  assert.match((await get(`/v1/cached/${key}?expires=60`)).headers["cache-status"], /^Gatehouse; hit; ttl=(5[89]|60)$/);
  const bad = await get(`/v1/cached/${key}-b?expires=bad`);
  assert.equal(bad.headers["cache-status"], "Gatehouse; fwd=uri-miss; fwd-status=200; detail=no-lifetime");
});

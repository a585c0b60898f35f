// Response caching end to end through Miniflare's real Cache API, with the loopback origin
// counting what reaches it.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { useGateway, startGateway, request, expectProblem, sleep, until, logOf, putApiKey } from "./harness.mjs";
import { startOrigin, LAST_MODIFIED } from "../../scripts/demo-origin.mjs";

const ADMIN_TOKEN = crypto.randomBytes(32).toString("base64url");
const s = useGateway({ ADMIN_TOKEN });
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
  const second = await get(path);
  assert.equal(second.status, 200);
  assert.match(second.headers["cache-status"], /^Gatehouse; hit; ttl=(59|60); detail=memory$/, "served from the isolate's hot tier");
  assert.match(second.headers.age, /^[01]$/);
  assert.equal(second.headers["cache-control"], "max-age=60", "the origin's Cache-Control is what the client sees");
  assert.equal(second.text, first.text);
  assert.equal(Number(second.headers["content-length"]), Buffer.byteLength(second.text), "a hit declares its length");
  assert.equal(second.headers["transfer-encoding"], undefined);
  assert.equal(second.headers["x-origin-hop"], undefined, "a header the origin's Connection named is not stored");
  assert.equal(second.headers["keep-alive"], undefined);
  assert.equal(originHits(key).length, 1);
  assert.ok(second.headers["x-request-id"] && second.headers["x-request-id"] !== first.headers["x-request-id"]);
  for (const h of Object.keys(second.headers)) assert.ok(!h.startsWith("x-gatehouse-"), h);
  const head = await request(s.gw, "HEAD", path);
  assert.equal(head.status, 200);
  assert.equal(head.text, "");
  assert.match(head.headers["cache-status"], /; hit;/);
});

test("entries over 64 KiB are served from the Cache API, never kept in the hot tier", async () => {
  const key = id();
  const path = `/v1/cached/${key}?cc=max-age%3D60&pad=70000`;
  const first = await get(path);
  assert.ok(first.text.length > 70000);
  for (let i = 0; i < 2; i++) {
    const hit = await get(path);
    assert.match(hit.headers["cache-status"], /^Gatehouse; hit; ttl=(59|60)$/);
    assert.equal(hit.text, first.text);
  }
  assert.equal(originHits(key).length, 1);
});

test("s-maxage is preferred over max-age, and a route ttl over both; entries expire", async () => {
  const key = id();
  await get(`/v1/cached-ttl/${key}?cc=max-age%3D600`);
  assert.match((await get(`/v1/cached-ttl/${key}?cc=max-age%3D600`)).headers["cache-status"], /hit; ttl=[12](; detail=memory)?$/);
  await sleep(2100);
  const after = await get(`/v1/cached-ttl/${key}?cc=max-age%3D600`);
  assert.equal(after.headers["cache-status"], "Gatehouse; fwd=stale; fwd-status=304; stored", "revalidated with the stored ETag");
  assert.equal(originHits(key).length, 2);
  const sm = id();
  await get(`/v1/cached/${sm}?cc=max-age%3D5%2C%20s-maxage%3D300`);
  assert.match((await get(`/v1/cached/${sm}?cc=max-age%3D5%2C%20s-maxage%3D300`)).headers["cache-status"], /hit; ttl=(299|300)(; detail=memory)?$/);
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
    }
    assert.equal(originHits(key).length, 2);
  });
}

test("query parameters are sorted and marketing parameters neither keyed nor forwarded", async () => {
  const key = id();
  await get(`/v1/cached/${key}?cc=max-age%3D60&b=2&a=1&utm_source=mail`);
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
  const inm = await get(path, { "if-none-match": 'W/"v1", "other"' });
  assert.equal(inm.status, 304);
  assert.equal(inm.text, "");
  assert.equal(inm.headers.etag, '"v1"');
  assert.match(inm.headers["cache-status"], /; hit;/);
  const ims = await get(path, { "if-modified-since": LAST_MODIFIED });
  assert.equal(ims.status, 304);
  // Any later date (still in the past), in any of the three HTTP date formats, is a 304 too;
  // an earlier one, one in the future or an unreadable one gets the body.
  const later = new Date(Date.parse(LAST_MODIFIED) + 32 * 3600_000);
  for (const date of httpDateFormats(later)) {
    assert.equal((await get(path, { "if-modified-since": date })).status, 304, date);
  }
  const earlier = new Date(Date.parse(LAST_MODIFIED) - 16 * 3600_000);
  assert.equal((await get(path, { "if-modified-since": earlier.toUTCString() })).status, 200);
  const tomorrow = new Date(Date.now() + 86_400_000);
  assert.equal((await get(path, { "if-modified-since": tomorrow.toUTCString() })).status, 200, "a date in the future is ignored");
  assert.equal((await get(path, { "if-modified-since": "not a date" })).status, 200);
  const changed = await get(path, { "if-none-match": '"v2"' });
  assert.equal(changed.status, 200);
  assert.equal(originHits(key).length, 1);
});

const apiKey = (consumer) => putApiKey(s.gw, { id: consumer });

/** `date` in IMF-fixdate, RFC 850 and asctime form (RFC 9110 5.6.7). */
function httpDateFormats(date) {
  const [wkday, rest] = date.toUTCString().split(", ");
  const [day, mon, year, time] = rest.split(" ");
  const weekday = { Mon: "Monday", Tue: "Tuesday", Wed: "Wednesday", Thu: "Thursday", Fri: "Friday", Sat: "Saturday", Sun: "Sunday" }[wkday];
  return [
    date.toUTCString(),
    `${weekday}, ${day}-${mon}-${year.slice(2)} ${time} GMT`,
    `${wkday} ${mon} ${String(Number(day)).padStart(2, " ")} ${time} ${year}`,
  ];
}

test("protected routes authenticate before the lookup and keep one entry per consumer", async () => {
  const key = id();
  const alice = await apiKey(`alice-${key}`);
  const bob = await apiKey(`bob-${key}`);
  const path = `/v1/partner/cached/${key}`;
  await get(path, { "x-api-key": alice });
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
  const victim = await get(path);
  assert.match(victim.headers["cache-status"], /; hit;/);
  assert.equal(victim.json().headers["x-forwarded-host"], `127.0.0.1:${s.gw.port}`);
  assert.equal(originHits(key).length, 1);
});

test("a stale entry is revalidated with its ETag: a 304 refreshes it without a new body", async () => {
  const key = id();
  // The 304 carries a new X-Version, and a header its own Connection names.
  const path = `/v1/cached/${key}?cc=max-age%3D1&h.x-version=1&h304.x-version=2&h304.connection=x-drop&h304.x-drop=1`;
  const first = await get(path);
  assert.equal(first.headers["x-version"], "1");
  await sleep(1100);
  const second = await get(path);
  assert.equal(second.status, 200);
  assert.equal(second.headers["cache-status"], "Gatehouse; fwd=stale; fwd-status=304; stored");
  assert.equal(second.text, first.text, "the stored body, not a new one");
  assert.equal(second.headers.age, "0");
  assert.equal(second.headers["x-version"], "2", "the 304's header values replace the stored ones");
  assert.equal(second.headers["x-drop"], undefined);
  assert.equal(Number(second.headers["content-length"]), Buffer.byteLength(first.text));
  const hits = originHits(key);
  assert.equal(hits.length, 2);
  assert.equal(hits[1].headers["if-none-match"], '"v1"');
  const third = await get(path);
  assert.match(third.headers["cache-status"], /; hit;/, "fresh again after the 304");
  assert.equal(third.headers["x-version"], "2", "and stored with the new value");
  assert.equal(third.headers["x-drop"], undefined);
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
  await until(() => originHits(key).length >= 2, "the background revalidation");
  const hits = originHits(key);
  assert.equal(hits.length, 2, "one background revalidation");
  assert.equal(hits[1].headers["if-none-match"], '"v1"');
  const fresh = await get(path);
  assert.match(fresh.headers["cache-status"], /^Gatehouse; hit; ttl=[01](; detail=memory)?$/);
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

test("purge by URL deletes the shared entry for that URL (query normalised the route's way) and invalidates its path", async () => {
  const k = id();
  await cached(`/v1/cached/${k}?cc=max-age%3D600&b=2&a=1`);
  await cached(`/v1/cached/${k}?cc=max-age%3D600&page=3`);
  const other = id();
  await cached(`/v1/cached/${other}?cc=max-age%3D600`);
  const res = await purge({ url: `http://127.0.0.1:${s.gw.port}/v1/cached/${k}?a=1&utm_source=x&b=2&cc=max-age%3D600` });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json(), { purged: "url", url: `http://127.0.0.1:${s.gw.port}/v1/cached/${k}?a=1&utm_source=x&b=2&cc=max-age%3D600`, deleted: true, path_invalidated: true });
  assert.match((await get(`/v1/cached/${k}?cc=max-age%3D600&b=2&a=1`)).headers["cache-status"], /fwd=uri-miss/);
  assert.match((await get(`/v1/cached/${k}?cc=max-age%3D600&page=3`)).headers["cache-status"], /fwd=uri-miss/, "the path's other queries too");
  assert.match((await get(`/v1/cached/${other}?cc=max-age%3D600`)).headers["cache-status"], /; hit;/, "other paths stay");
});

test("the purge endpoint refuses wrong tokens, other methods and bad bodies with problems", async () => {
  const wrong = await purge({ route: "v1-cached" }, "not-the-token");
  const p = expectProblem(assert, wrong, 401, "admin-unauthorized");
  assert.match(wrong.headers["www-authenticate"], /^Bearer realm="gatehouse-admin"/);
  assert.ok(p.detail.includes("ADMIN_TOKEN"));
  expectProblem(assert, await request(s.gw, "POST", "/__gatehouse/purge", { body: "{}" }), 401, "admin-unauthorized");
  expectProblem(assert, await request(s.gw, "GET", "/__gatehouse/purge"), 401, "admin-unauthorized"); // the token is checked before the method
  const get = await request(s.gw, "GET", "/__gatehouse/purge", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expectProblem(assert, get, 405, "method-not-allowed");
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
    [{ url: `http://127.0.0.1:${s.gw.port}/v1/cached/1`, headers: { "Accept-Language": 5 } }, /headers\.Accept-Language: the value must be a string/],
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
    }
    assert.equal(originHits(key).length, 2);
  } finally {
    await gw.close();
  }
});

test("Expires - Date gives the lifetime when Cache-Control has none; an invalid Expires is in the past", async () => {
  const key = id();
  await get(`/v1/cached/${key}?expires=60`);
  assert.match((await get(`/v1/cached/${key}?expires=60`)).headers["cache-status"], /^Gatehouse; hit; ttl=(5[89]|60)(; detail=memory)?$/);
  const bad = await get(`/v1/cached/${key}-b?expires=bad&nv=1`);
  assert.equal(bad.headers["cache-status"], "Gatehouse; fwd=uri-miss; fwd-status=200; detail=no-lifetime");
  // With a validator it is stored already stale, and revalidated before each use.
  const path = `/v1/cached/${key}-c?expires=bad`;
  assert.equal((await get(path)).headers["cache-status"], "Gatehouse; fwd=uri-miss; fwd-status=200; stored");
  await until(async () => /fwd=stale; fwd-status=304/.test((await get(path)).headers["cache-status"]), "revalidated with a 304");
});

const send = (method, path, headers = {}) => request(s.gw, method, path, { headers, body: method === "DELETE" ? undefined : "{}" });

test("a successful write invalidates its path for every query and consumer; a failed one does not", async () => {
  const key = id();
  const a = `/v1/cached/${key}?cc=max-age%3D60`;
  const b = `/v1/cached/${key}?cc=max-age%3D60&page=2`;
  await cached(a);
  await cached(b);
  for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
    const failed = await send(method, `/v1/cached/${key}?status=500`);
    assert.equal(failed.status, 500);
    assert.match((await get(a)).headers["cache-status"], /; hit;/, `a failed ${method} invalidates nothing`);
    const ok = await send(method, `/v1/cached/${key}`);
    assert.equal(ok.status, 200);
    const line = await logOf(s.gw, ok.headers["x-request-id"]);
    assert.equal(line.cache, "invalidated", `${method}: the write's log line says it invalidated`);
    for (const p of [a, b]) {
      assert.equal((await get(p)).headers["cache-status"], "Gatehouse; fwd=uri-miss; fwd-status=200; stored", `${method} invalidated ${p}`);
    }
    assert.match((await get(a)).headers["cache-status"], /; hit;/, "stored again afterwards");
  }
  // Another route's path is untouched.
  const other = id();
  await cached(`/v1/cached/${other}?cc=max-age%3D60`);
  await send("POST", `/v1/cached/${key}`);
  assert.match((await get(`/v1/cached/${other}?cc=max-age%3D60`)).headers["cache-status"], /; hit;/);
});

/** The purge-counter bucket of a path on 127.0.0.1, as `cache::invalidate::path_key` computes it. */
function bucket(path) {
  const M = (1n << 64n) - 1n;
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(`127.0.0.1\0${path}`)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & M;
  h ^= h >> 30n; h = (h * 0xbf58476d1ce4e5b9n) & M;
  h ^= h >> 27n; h = (h * 0x94d049bb133111ebn) & M;
  return (h ^ (h >> 31n)) % 1024n;
}

test("Location and Content-Location on the same host are invalidated too; another host's are not", async () => {
  const [k, l, cl, rel] = [id(), id(), id(), id()];
  // Writes invalidate their paths' buckets (about 1 in 1,024 other paths with them): the
  // untouched path is one in a bucket of its own here.
  const written = new Set([k, l, cl, rel].map((x) => bucket(`/v1/cached/${x}`)));
  let far = id();
  while (written.has(bucket(`/v1/cached/${far}`))) far = id();
  const paths = [k, l, cl, rel, far].map((x) => `/v1/cached/${x}?cc=max-age%3D60`);
  for (const p of paths) await cached(p);
  const loc = encodeURIComponent(`/v1/cached/${l}?x=1`);
  const cloc = encodeURIComponent(`http://127.0.0.1:${s.gw.port}/v1/cached/${cl}`);
  const created = await send("POST", `/v1/cached/${k}?status=201&h.location=${loc}&h.content-location=${cloc}`);
  assert.equal(created.status, 201);
  for (const p of paths.slice(0, 3)) assert.match((await get(p)).headers["cache-status"], /fwd=uri-miss/, p);
  const relative = await send("PUT", `/v1/cached/${k}?h.content-location=${rel}&h.location=${encodeURIComponent(`https://elsewhere.example/v1/cached/${far}`)}`);
  assert.equal(relative.status, 200);
  assert.match((await get(paths[3])).headers["cache-status"], /fwd=uri-miss/, "a relative Content-Location");
  assert.match((await get(paths[4])).headers["cache-status"], /; hit;/, "another host's Location is left alone");
});

test("CDN-Cache-Control and Gatehouse-Cache-Control decide for the cache; clients get Cache-Control unchanged", async () => {
  const cases = [
    // [origin headers as query, stored?, detail when not]
    ["cc=max-age%3D60&h.cdn-cache-control=no-store", false, "no-store"],
    ["cc=max-age%3D60&h.cdn-cache-control=private", false, "private"],
    ["cc=max-age%3D60&h.cdn-cache-control=max-age%3D0&nv=1", false, "no-lifetime"],
    // A number directive of the wrong type makes the field invalid: ignored, not obeyed.
    ["cc=no-store&h.cdn-cache-control=max-age%3D%2260%22", false, "no-store"],
    ["cc=no-store&h.cdn-cache-control=max-age%3D60", true],
    ["cc=no-store&h.gatehouse-cache-control=max-age%3D60&h.cdn-cache-control=no-store", true],
    ["cc=max-age%3D60&h.gatehouse-cache-control=no-store", false, "no-store"],
    // An invalid targeted field is ignored: the next one decides.
    ["cc=max-age%3D60&h.gatehouse-cache-control=Max-Age%3D%3D%3D&h.cdn-cache-control=no-store", false, "no-store"],
  ];
  for (const [q, keep, detail] of cases) {
    const path = `/v1/cached/${id()}?${q}`;
    const first = await get(path);
    const cc = new URLSearchParams(q).get("cc");
    assert.equal(first.headers["cache-control"], cc, `${q}: Cache-Control passes unchanged`);
    assert.equal(first.headers["gatehouse-cache-control"], undefined, `${q}: the gateway's field is never sent on`);
    assert.equal(first.headers["cdn-cache-control"], new URLSearchParams(q).get("h.cdn-cache-control") ?? undefined);
    if (keep) {
      assert.match(first.headers["cache-status"], /; stored$/, q);
      const hit = await get(path);
      assert.match(hit.headers["cache-status"], /; hit;/, q);
      assert.equal(hit.headers["cache-control"], cc);
      assert.equal(hit.headers["gatehouse-cache-control"], undefined);
    } else {
      assert.match(first.headers["cache-status"], new RegExp(`detail=${detail}$`), q);
    }
  }
  // The field's name is configurable: Acme-Cache-Control on the standard route, where
  // Gatehouse-Cache-Control means nothing and passes on.
  const path = `/v1/cached-standard/${id()}?cc=no-store&h.acme-cache-control=max-age%3D60&h.gatehouse-cache-control=no-store`;
  assert.match((await get(path)).headers["cache-status"], /; stored$/);
  const hit = await get(path);
  assert.match(hit.headers["cache-status"], /; hit;/);
  assert.equal(hit.headers["acme-cache-control"], undefined);
  assert.equal(hit.headers["gatehouse-cache-control"], "no-store");
});

test("Range on a stored 200: 206 with Content-Range, 416 past the end, the whole body otherwise", async () => {
  const path = `/v1/cached/${id()}?cc=max-age%3D60`;
  const full = await get(path);
  const body = Buffer.from(full.text);
  const len = body.length;
  for (const [range, start, end] of [["bytes=0-9", 0, 9], ["bytes=5-", 5, len - 1], ["bytes=-7", len - 7, len - 1], [`bytes=10-${len + 100}`, 10, len - 1]]) {
    const part = await get(path, { range });
    assert.equal(part.status, 206, range);
    assert.equal(part.headers["content-range"], `bytes ${start}-${end}/${len}`, range);
    assert.equal(Number(part.headers["content-length"]), end - start + 1, range);
    assert.equal(part.text, body.subarray(start, end + 1).toString(), range);
    assert.match(part.headers["cache-status"], /; hit;/);
  }
  const past = await get(path, { range: `bytes=${len}-` });
  assert.equal(past.status, 416);
  assert.equal(past.headers["content-range"], `bytes */${len}`);
  assert.equal(past.text, "");
  for (const [headers, why] of [
    [{ range: "bytes=0-1,4-5" }, "several ranges"],
    [{ range: "items=0-1" }, "another unit"],
    [{ range: "bytes=9-2" }, "a malformed range"],
    [{ range: "bytes=0-1", "if-range": '"other"' }, "an If-Range naming another version"],
    [{ range: "bytes=0-1", "if-range": 'W/"v1"' }, "a weak If-Range"],
  ]) {
    const res = await get(path, headers);
    assert.equal(res.status, 200, why);
    assert.equal(res.text, full.text, why);
  }
  assert.equal((await get(path, { range: "bytes=0-1", "if-range": '"v1"' })).status, 206, "a matching strong If-Range");
  assert.equal((await get(path, { range: "bytes=0-1", "if-range": LAST_MODIFIED })).status, 206, "If-Range with the Last-Modified date");
});

test("forward = \"all\": the origin sees every header, Vary decides reuse, Authorization needs public", async () => {
  const key = id();
  const path = `/v1/cached-standard/${key}?cc=max-age%3D60&h.vary=x-tenant`;
  const first = await get(path, { "x-tenant": "a", "user-agent": "tester", cookie: "s=1" });
  assert.match(first.headers["cache-status"], /; stored$/);
  const seen = first.json().headers;
  assert.equal(seen["x-tenant"], "a");
  assert.equal(seen["user-agent"], "tester");
  assert.equal(seen.cookie, "s=1");
  assert.match((await get(path, { "x-tenant": "a" })).headers["cache-status"], /; hit;/);
  assert.equal((await get(path, { "x-tenant": "b" })).headers["cache-status"], "Gatehouse; fwd=vary-miss; fwd-status=200; stored");
  // RFC 9111 3.5: a response to a request with Authorization is stored only when it allows it.
  const auth = { authorization: "Bearer one" };
  const privateOne = `/v1/cached-standard/${id()}?cc=max-age%3D60`;
  assert.match((await get(privateOne, auth)).headers["cache-status"], /detail=authorization$/);
  assert.equal(s.origin.received.at(-1).headers.authorization, "Bearer one", "Authorization reaches the origin");
  for (const cc of ["public%2C%20max-age%3D60", "s-maxage%3D60", "max-age%3D60%2C%20must-revalidate"]) {
    const shared = `/v1/cached-standard/${id()}?cc=${cc}`;
    assert.match((await get(shared, auth)).headers["cache-status"], /; stored$/, cc);
    assert.match((await get(shared, { authorization: "Bearer two" })).headers["cache-status"], /; hit;/, cc);
  }
});

// ---------------------------------------------------------------- issue 23

test("a HEAD on a miss is never stored as the GET's entry", async () => {
  const key = id();
  const path = `/v1/cached/${key}?cc=max-age%3D60`;
  const head = await request(s.gw, "HEAD", path);
  assert.equal(head.status, 200);
  assert.equal(head.headers["cache-status"], "Gatehouse; fwd=uri-miss; fwd-status=200; detail=head");
  const first = await get(path);
  assert.equal(first.headers["cache-status"], "Gatehouse; fwd=uri-miss; fwd-status=200; stored", "the HEAD stored nothing");
  assert.ok(first.json().n >= 1, "a full body");
  await until(async () => /; hit;/.test((await get(path)).headers["cache-status"]), "the GET's own entry");
  const hit = await get(path);
  assert.equal(hit.text, first.text);
  assert.equal(Number(hit.headers["content-length"]), Buffer.byteLength(first.text));
});

test("no-cache with an ETag is stored and revalidated before every use: a 304 answers from the stored body", async () => {
  const key = id();
  const path = `/v1/cached/${key}?cc=no-cache`;
  const first = await get(path);
  assert.equal(first.headers["cache-status"], "Gatehouse; fwd=uri-miss; fwd-status=200; stored");
  await until(async () => {
    const again = await get(path);
    if (!/fwd=stale; fwd-status=304; stored/.test(again.headers["cache-status"])) return false;
    assert.equal(again.status, 200);
    assert.equal(again.text, first.text, "the stored body");
    assert.equal(again.headers["cache-control"], "no-cache");
    return true;
  }, "a 304 revalidation");
  const seen = originHits(key);
  assert.equal(seen.at(-1).headers["if-none-match"], '"v1"', "every reuse is a conditional request");
  assert.ok(seen.every((r, i) => i === 0 || r.headers["if-none-match"] === '"v1"'));
  // Without a validator there is nothing to revalidate with: not stored.
  const plain = await get(`/v1/cached/${key}-nv?cc=no-cache&nv=1`);
  assert.equal(plain.headers["cache-status"], "Gatehouse; fwd=uri-miss; fwd-status=200; detail=no-cache");
});

test("an invalid Age (old, 0) makes a response stale, never fresh", async () => {
  const key = id();
  const path = `/v1/cached/${key}?cc=max-age%3D3600&nv=1&h.age=old%2C%200`;
  assert.equal((await get(path)).headers["cache-status"], "Gatehouse; fwd=uri-miss; fwd-status=200; detail=no-lifetime");
  assert.equal((await get(path)).headers["cache-status"], "Gatehouse; fwd=uri-miss; fwd-status=200; detail=no-lifetime");
  assert.equal(originHits(key).length, 2);
});

test("a chunked answer is stored with its length: hits and answers rebuilt after a 304 declare it", async () => {
  const key = id();
  const hitPath = `/v1/cached/${key}?cc=max-age%3D60&chunked=1`;
  const first = await get(hitPath);
  assert.equal(first.headers["transfer-encoding"], "chunked", "the origin sent no length");
  await until(async () => /; hit;/.test((await get(hitPath)).headers["cache-status"]), "a hit");
  const hit = await get(hitPath);
  assert.equal(hit.text, first.text);
  assert.equal(Number(hit.headers["content-length"]), Buffer.byteLength(first.text));
  const revalidated = `/v1/cached/${key}-r?cc=no-cache&chunked=1`;
  const stored = await get(revalidated);
  for (let i = 0; i < 3; i++) {
    let again;
    await until(async () => /fwd-status=304/.test((again = await get(revalidated)).headers["cache-status"]), "a 304");
    assert.equal(again.text, stored.text);
    assert.equal(Number(again.headers["content-length"]), Buffer.byteLength(stored.text), `revalidation ${i + 1}`);
  }
});

test("only the key's query reaches the origin: none at all when the key keeps no parameter", async () => {
  const key = id();
  await get(`/v1/comp/validation/${key}?limit=5`);
  assert.equal(originHits(key).at(-1).query, "", "a parameter the key leaves out never reaches the origin");
  await get(`/v1/cached/${key}?utm_source=x`);
  assert.equal(originHits(key).at(-1).query, "");
});

test("a stale entry is revalidated with the cache's validators only, never the client's", async () => {
  const key = id();
  const path = `/v1/cached-standard/${key}?cc=no-cache&noetag=1`;
  const first = await get(path);
  assert.match(first.headers["cache-status"], /stored/);
  await until(async () => {
    const again = await get(path, { "if-none-match": "*", "if-match": "*", range: "bytes=0-1" });
    return /fwd=stale/.test(again.headers["cache-status"]);
  }, "a revalidation");
  const sent = originHits(key).at(-1).headers;
  assert.equal(sent["if-none-match"], undefined, "the client's If-None-Match: * would confirm any stored body");
  assert.equal(sent["if-match"], undefined);
  assert.equal(sent.range, undefined);
  assert.equal(sent["if-modified-since"], LAST_MODIFIED, "the entry's own Last-Modified");
});

test("purge counters out of reach: a write answers with invalidate-failed; stored entries serve at most 10 s past the last read, then bypass", async () => {
  // CACHE_GENERATIONS is a switch in front of the real CacheGenerations object (another
  // worker): the test turns it "down" and every call then throws, as an unreachable object does.
  const SWITCH = `import { DurableObject } from "cloudflare:workers";
    export class SwitchedGenerations extends DurableObject {
      down = false;
      real() { return this.env.REAL.get(this.env.REAL.idFromName("generations")); }
      check() { if (this.down) throw new Error("purge counters unreachable"); }
      async fetch(req) {
        if (new URL(req.url).pathname === "/__fault") {
          this.down = (await req.text()) === "down";
          return new Response("ok");
        }
        this.check();
        return this.real().fetch(req);
      }
      async bump(key) { this.check(); return this.real().bump(key); }
      async invalidate(keys) { this.check(); return this.real().invalidate(keys); }
    }
    export default { fetch() { return new Response("unused"); } }`;
  const gw = await startGateway(
    { ECHO_ORIGIN: s.origin.url },
    { durableObjects: { RATE_LIMITER: "RateLimiter", CACHE_GENERATIONS: { className: "SwitchedGenerations", scriptName: "generations-switch" } } },
    [{ name: "generations-switch", modules: true, script: SWITCH, durableObjects: { REAL: { className: "CacheGenerations", scriptName: "gateway" } } }],
  );
  const ns = await gw.mf.getDurableObjectNamespace("CACHE_GENERATIONS", "gateway");
  const setDown = (down) => ns.get(ns.idFromName("generations")).fetch("https://switch/__fault", { method: "POST", body: down ? "down" : "up" });
  try {
    const key = id();
    const path = `/v1/cached/${key}?cc=max-age%3D600`;
    const status = async () => (await request(gw, "GET", path)).headers["cache-status"];
    assert.match(await status(), /; stored$/);
    await until(async () => /; hit;/.test(await status()), "a hit with the object up");
    await (await setDown(true)).text();
    const lastRead = Date.now() - 1000; // the isolate read the counters within the last second

    const started = Date.now();
    const write = await request(gw, "POST", `/v1/cached/${key}`, { body: "{}" });
    assert.equal(write.status, 200, "the write itself succeeds");
    assert.ok(Date.now() - started < 3000, `the write waited ${Date.now() - started} ms (at most 2 s for the counter)`);
    const line = await logOf(gw, write.headers["x-request-id"]);
    assert.equal(line.cache, "invalidate-failed");

    // Old entries may still be served, but never more than 10 s after the last read...
    let seen;
    while (/; hit;/.test(seen = await status())) {
      assert.ok(Date.now() - lastRead < 11_500, `still a hit ${Date.now() - lastRead} ms after the last read`);
      await sleep(200);
    }
    // ...then the cache is bypassed, not served and not stored.
    assert.equal(seen, "Gatehouse; fwd=bypass; fwd-status=200; detail=purge-counters-unavailable");
    assert.ok(Date.now() - lastRead >= 9_000, `bypassed ${Date.now() - lastRead} ms after the last read`);

    // The object back: the cache is used again (the write's path counter did not move, so
    // the old entry is still stored).
    await (await setDown(false)).text();
    await until(async () => /; hit;/.test(await status()), "the cache used again");
  } finally {
    await gw.close();
  }
});

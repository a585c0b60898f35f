// The composition matrix (issue 23): a cache shares a route with each kind that can share
// one (routes/v1/composition.toml), and that kind's guarantee is checked in every state the
// cache can answer from: a miss, a hit from each tier, a stale answer, a background refresh,
// a 304, a HEAD and a fallback answer. A new kind adds its row to `rows`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startGateway, until, putApiKey } from "./harness.mjs";
import { startOrigin } from "../../scripts/demo-origin.mjs";
import { makeToken } from "../../scripts/test-idp.mjs";

const JWT_SECRET = crypto.randomBytes(32).toString("base64url");
const ALLOWED_ORIGIN = "http://127.0.0.1:9003";
const s = {};

before(async () => {
  s.origin = await startOrigin();
  s.canary = await startOrigin();
  s.gw = await startGateway({ ECHO_ORIGIN: s.origin.url, POOL_B: s.canary.url, JWT_SECRET });
  s.apiKey = await putApiKey(s.gw, { id: "comp-partner" });
});
after(async () => {
  await s.gw?.close();
  await s.origin?.close();
  await s.canary?.close();
});

/** Sends a request through the worker (with Cloudflare's `cf` object when given). */
async function send(method, path, headers = {}, cf) {
  const res = await s.gw.mf.dispatchFetch(`http://127.0.0.1${path}`, { method, headers, ...(cf ? { cf } : {}) });
  const text = await res.text();
  return { status: res.status, headers: Object.fromEntries(res.headers), text, json: () => JSON.parse(text) };
}

/** An HS256 token for the `service-jwt` policy. */
function bearer(claims = {}) {
  const c = { iss: "https://internal.gatehouse.test/", sub: "comp-user", exp: Math.floor(Date.now() / 1000) + 600, ...claims };
  return { authorization: `Bearer ${makeToken(c, { alg: "HS256", key: JWT_SECRET })}` };
}

const CERT = { certPresented: "1", certVerified: "SUCCESS", certSubjectDN: "CN=comp,O=Acme",
  certIssuerDN: "CN=Acme CA", certFingerprintSHA256: "CD".repeat(32), certSerial: "02" };

/** A refusal: this status and a problem body, never a stored answer. */
function refused(res, status, method) {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers["content-type"], /^application\/problem\+json/);
  if (method === "GET") assert.equal(res.json().n, undefined, "not the origin's answer");
}

/** What the rows' routes serve: the demo origin's echo of the request it received. */
const originPath = (id) => `/internal/cacheable/${id}`;

// Each row: the route, a request the kind allows (`good`), and `check`: the requests the kind
// must refuse or shape, sent in the state the column set up. `check` returns the allowed
// answers it got (the first one shows the cache state), or [] when a good request is to show it.
const rows = [
  {
    kind: "jwt",
    base: "/v1/comp/jwt",
    good: () => ({ headers: bearer() }),
    async check(path, method) {
      refused(await send(method, path), 401, method);
      refused(await send(method, path, bearer({ sub: "" })), 401, method);
      refused(await send(method, path, { authorization: "Bearer x.y.z" }), 401, method);
      return [];
    },
  },
  {
    kind: "api_key",
    base: "/v1/comp/api-key",
    good: () => ({ headers: { "x-api-key": s.apiKey } }),
    async check(path, method) {
      refused(await send(method, path), 401, method);
      refused(await send(method, path, { "x-api-key": "not-a-key" }), 401, method);
      return [];
    },
  },
  {
    kind: "mtls",
    base: "/v1/comp/mtls",
    good: () => ({ cf: { tlsClientAuth: CERT } }),
    async check(path, method) {
      refused(await send(method, path), 403, method);
      refused(await send(method, path, {}, { tlsClientAuth: { ...CERT, certVerified: "FAILED:expired" } }), 403, method);
      return [];
    },
  },
  {
    kind: "require",
    base: "/v1/comp/require",
    good: () => ({ headers: bearer({ scope: "comp:read" }) }),
    async check(path, method) {
      refused(await send(method, path, bearer({ scope: "other" })), 403, method);
      refused(await send(method, path), 401, method);
      return [];
    },
  },
  {
    kind: "any",
    base: "/v1/comp/any",
    good: () => ({ headers: bearer() }),
    async check(path, method) {
      refused(await send(method, path), 401, method);
      refused(await send(method, path, { "x-api-key": "not-a-key" }), 401, method);
      return [];
    },
  },
  {
    kind: "rate_limit",
    base: "/v1/comp/rate-limit",
    good: () => ({ headers: { "x-tenant": crypto.randomUUID() } }),
    async check(path, method) {
      // Two requests per tenant: the third is refused whatever answered the first two.
      const tenant = { "x-tenant": crypto.randomUUID() };
      const first = await send(method, path, tenant);
      assert.notEqual(first.status, 429);
      assert.notEqual((await send(method, path, tenant)).status, 429);
      refused(await send(method, path, tenant), 429, method);
      return [first];
    },
  },
  {
    kind: "transform",
    base: "/v1/comp/transform",
    good: () => ({}),
    async check(path, method) {
      const res = await send(method, path);
      assert.equal(res.status, 200, res.text);
      if (method === "GET") {
        const body = res.json();
        for (const k of Object.keys(body)) assert.ok(["n", "path", "method", "pad"].includes(k), `only allowed fields leave: ${k}`);
      } else {
        assert.equal(res.text, "");
      }
      return [res];
    },
  },
  {
    kind: "validation",
    base: "/v1/comp/validation",
    good: () => ({}),
    async check(path, method) {
      // `limit` is not part of the cache key, so only validation stands between it and a hit.
      refused(await send(method, `${path}&limit=1000`), 422, method);
      return [];
    },
  },
  {
    kind: "fan-out",
    base: "/v1/comp/fan-out",
    short: "/v1/comp/fan-out-short",
    shortTtlMs: 2000,
    query: "pad=0",
    good: () => ({}),
    skip: { "a 304": "a merged answer has no validator: the route's ttl alone decides its freshness" },
    async check(path, method, id) {
      const res = await send(method, path);
      assert.equal(res.status, 200, res.text);
      if (method === "GET") {
        const body = res.json();
        assert.deepEqual(Object.keys(body), ["a"], "the merged answer, never one part's");
        if (!body.a.degraded) assert.equal(body.a.path, originPath(id));
      }
      return [res];
    },
  },
  {
    kind: "canary",
    base: "/v1/comp/canary",
    // The good side forces the dark canary; nobody else may get its answers.
    good: () => ({ headers: { "x-comp-canary": "1" } }),
    origin: () => s.canary,
    async check(path, method) {
      for (const headers of [{}, { cookie: "gatehouse_canary=1" }, { "x-comp-canary": "0" }]) {
        const res = await send(method, path, headers);
        if (method === "GET" && res.status === 200 && !res.json().degraded) {
          assert.equal(res.json().headers.host, new URL(s.origin.url).host, `the stable side's answer for ${JSON.stringify(headers)}`);
        }
      }
      return [];
    },
  },
  {
    kind: "cors",
    base: "/v1/comp/cors",
    good: () => ({ headers: { origin: ALLOWED_ORIGIN } }),
    async check(path, method) {
      const evil = await send(method, path, { origin: "https://evil.example" });
      assert.equal(evil.headers["access-control-allow-origin"], undefined, "never granted to another origin");
      assert.match(evil.headers.vary ?? "", /origin/i);
      const ok = await send(method, path, { origin: ALLOWED_ORIGIN });
      assert.equal(ok.headers["access-control-allow-origin"], ALLOWED_ORIGIN);
      assert.match(ok.headers.vary ?? "", /origin/i);
      return evil.status === 200 ? [evil] : [];
    },
  },
  {
    kind: "graphql",
    base: "/v1/comp/graphql",
    query: `query=${encodeURIComponent("{ __typename }")}`,
    good: () => ({}),
    async check(path, method) {
      const refusals = [
        ["{ __schema { types { name } } }", 400, "INTROSPECTION_DISABLED"],
        ["{ a { b { c } } }", 400, "OPERATION_LIMIT_EXCEEDED"],
        ["mutation { a }", 405, "METHOD_NOT_ALLOWED"],
      ];
      for (const [query, status, code] of refusals) {
        const asked = path.replace(/query=[^&]*/, `query=${encodeURIComponent(query)}`);
        const res = await send(method, asked, { accept: "application/graphql-response+json" });
        assert.equal(res.status, status, res.text);
        assert.equal(res.headers["cache-status"], undefined, "never looked up");
        if (method === "GET") assert.equal(res.json().errors[0].extensions.code, code);
      }
      return [];
    },
  },
  {
    kind: "fallback",
    base: "/v1/comp/fallback",
    good: () => ({}),
    async check(path, method) {
      // The fallback's own guarantee (its answers are never stored) is checked by every row's
      // fallback column; here any answer is the origin's or the fallback's, never mixed.
      const res = await send(method, path);
      assert.equal(res.status, 200, res.text);
      if (method === "GET") assert.ok(res.json().degraded === true || res.json().n >= 1);
      return [res];
    },
  },
];

const pathOf = (row, id, query, short = false) => `${short && row.short ? row.short : row.base}/${id}?${[row.query, query].filter(Boolean).join("&")}`;
const good = (row, path, method = "GET") => {
  const g = row.good();
  return send(method, path, g.headers, g.cf);
};
const originOf = (row) => (row.origin ? row.origin() : s.origin);
const seenBy = (row, id) => originOf(row).received.filter((r) => r.path === originPath(id)).length;
/** Waits until the entry stored by `res` (asked for at `at`) has gone stale. Ages count whole
 * seconds from the answer's Date, so the lifetime runs from that second's start and ends one
 * whole second after it. */
const staleAfter = async (row, at, res) => {
  const dated = Date.parse(res.headers.date ?? "") || (Math.floor(at / 1000) + 1) * 1000;
  const staleAt = dated + (row.short ? row.shortTtlMs : 1000) + 1000 + 50;
  await until(() => Date.now() >= staleAt, "the entry went stale", staleAt - Date.now() + 5_000);
};

// Each column sets up a cache state for `row` and says how a good request shows it.
const columns = {
  async "a miss"(row, id) {
    return { path: pathOf(row, id, "cc=max-age%3D60"), shows: /fwd=uri-miss/ };
  },
  async "a hit from the memory tier"(row, id) {
    const path = pathOf(row, id, "cc=max-age%3D60");
    await good(row, path);
    await until(async () => /detail=memory/.test((await good(row, path)).headers["cache-status"]), "a hit from memory");
    return { path, shows: /^Gatehouse; hit; ttl=\d+; detail=memory$/ };
  },
  async "a hit from the Cache API"(row, id) {
    const path = pathOf(row, id, "cc=max-age%3D60", false).replace("pad=0", "pad=70000") + (row.query?.includes("pad=0") ? "" : "&pad=70000");
    await good(row, path);
    await until(async () => /; hit; ttl=\d+$/.test((await good(row, path)).headers["cache-status"]), "a hit from the Cache API");
    return { path, shows: /^Gatehouse; hit; ttl=\d+$/ };
  },
  async "a stale answer"(row, id) {
    const path = pathOf(row, id, "cc=max-age%3D1&cc2=max-age%3D60&nv=1", true);
    const at = Date.now();
    const stored = await good(row, path);
    assert.match(stored.headers["cache-status"], /stored/);
    await staleAfter(row, at, stored);
    return { path, shows: /; hit; ttl=(0|-\d+); detail=stale-while-revalidate$/ };
  },
  async "a background refresh"(row, id) {
    // No validators: the refresh gets a whole new answer (not a 304), which every policy after
    // the cache must shape before it is stored.
    const path = pathOf(row, id, "cc=max-age%3D1&cc2=max-age%3D60&nv=1", true);
    const at = Date.now();
    const stored = await good(row, path);
    assert.match(stored.headers["cache-status"], /stored/);
    await staleAfter(row, at, stored);
    assert.match((await good(row, path)).headers["cache-status"], /detail=stale-while-revalidate/);
    await until(async () => seenBy(row, id) >= 2, "the refresh reached the origin");
    await until(async () => /; hit; ttl=\d+/.test((await good(row, path)).headers["cache-status"]), "the refreshed entry");
    return { path, shows: /; hit; ttl=\d+/ };
  },
  async "a 304"(row, id) {
    const path = pathOf(row, id, "cc=no-cache");
    assert.match((await good(row, path)).headers["cache-status"], /stored/);
    return { path, shows: /fwd=stale; fwd-status=304; stored/ };
  },
  async "a HEAD"(row, id) {
    const path = pathOf(row, id, "cc=max-age%3D60");
    assert.match((await good(row, path, "HEAD")).headers["cache-status"], /detail=head/);
    return {
      path,
      method: "HEAD",
      shows: /detail=head/,
      async after() {
        // The HEAD stored nothing: the GET that follows gets (and stores) a whole body.
        const full = await good(row, path);
        assert.match(full.headers["cache-status"], /fwd=uri-miss; fwd-status=200; stored/);
        assert.ok(full.text.length > 0);
      },
    };
  },
  async "a fallback answer"(row, id) {
    const path = pathOf(row, id, "cc=max-age%3D60");
    s.origin.fail(originPath(id));
    s.canary.fail(originPath(id));
    return {
      path,
      shows: /detail=fallback/,
      async after() {
        s.origin.recover(originPath(id));
        s.canary.recover(originPath(id));
        // The fallback's answer was not stored: the next request goes to the origin.
        const next = await good(row, path);
        assert.match(next.headers["cache-status"], /fwd=uri-miss; fwd-status=200; stored/);
        assert.notEqual(next.json().degraded ?? next.json().a?.degraded, true);
      },
    };
  },
};

for (const row of rows) {
  for (const [column, setUp] of Object.entries(columns)) {
    test(`cache with ${row.kind}: the ${row.kind} guarantee holds on ${column}`, async (t) => {
      if (row.skip?.[column]) return t.skip(row.skip[column]);
      const id = crypto.randomUUID();
      const { path, method = "GET", shows, after: afterwards } = await setUp(row, id);
      const answered = await row.check(path, method, id);
      // The state the check ran against, as an allowed request sees it.
      const shown = answered[0] ?? (await good(row, path, method));
      assert.match(shown.headers["cache-status"] ?? "", shows, `${column}: ${shown.headers["cache-status"]}`);
      await afterwards?.();
    });
  }
}

// Cache and fan-out: the parts read the query the key holds, and a degraded answer is not kept.
test("cache with fan-out: a part reads an escaped query name as the key does", async () => {
  const id = crypto.randomUUID();
  const escaped = await send("GET", `/v1/comp/fan-out-query/${id}?st%61te=closed`);
  assert.equal(escaped.status, 200, escaped.text);
  assert.equal(escaped.headers["x-gatehouse-partial"], undefined, "the part got its value");
  assert.equal(escaped.json().b.query, "?state=closed");
  const plain = await send("GET", `/v1/comp/fan-out-query/${id}?state=closed`);
  assert.match(plain.headers["cache-status"], /; hit;/, "one key for both spellings");
  assert.equal(plain.json().b.query, "?state=closed");
});

test("cache with fan-out: an answer missing an optional part is never stored", async () => {
  const id = crypto.randomUUID();
  const path = `/v1/comp/fan-out-query/${id}`; // no state: part b cannot be sent
  for (let i = 0; i < 2; i++) {
    const res = await send("GET", path);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers["x-gatehouse-partial"], "b");
    assert.match(res.headers["cache-status"], /^Gatehouse; fwd=uri-miss; fwd-status=200; detail=partial$/);
  }
});

test("cache with fan-out: a request transform's query edits reach the key and every part", async () => {
  const id = crypto.randomUUID();
  const first = await send("GET", `/v1/comp/fan-out-transformed/${id}?state=closed`);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json().a.query, "?state=open", "the part gets the transformed query");
  const other = await send("GET", `/v1/comp/fan-out-transformed/${id}`);
  assert.match(other.headers["cache-status"], /; hit;/, "the key holds the transformed query");
  assert.equal(other.json().a.query, "?state=open");
});

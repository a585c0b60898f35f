// The admin API under /__gatehouse/: every call with the right token, a wrong one and none;
// API keys created, listed and revoked through it; a limiter read and reset; this isolate's
// upstream health; its own OpenAPI document; one audit line per call.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { Validator } from "@seriousme/openapi-schema-validator";
import { startGateway, request, expectProblem, until, logLines, waitForLog } from "./harness.mjs";
import { startOrigin } from "../../scripts/demo-origin.mjs";

const TOKEN = crypto.randomBytes(32).toString("base64url");
const s = {};
before(async () => {
  s.origin = await startOrigin();
  s.gw = await startGateway({ ECHO_ORIGIN: s.origin.url, ADMIN_TOKEN: TOKEN, POOL_A: s.origin.url, POOL_B: s.origin.url, POOL_C: s.origin.url, SHADOW: s.origin.url });
  s.bare = await startGateway({ ECHO_ORIGIN: s.origin.url });
});
after(async () => {
  await s.gw?.close();
  await s.bare?.close();
  await s.origin?.close();
});

const admin = (method, path, body, token = TOKEN) =>
  request(s.gw, method, `/__gatehouse/${path}`, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });

const CALLS = [
  ["POST", "keys", { consumer: "x" }],
  ["GET", "keys"],
  ["DELETE", "keys/0123456789abcdef"],
  ["GET", "limits/per-ip?key=1.2.3.4"],
  ["DELETE", "limits/per-ip?key=1.2.3.4"],
  ["GET", "upstreams"],
  ["POST", "purge", { route: "v1-cached" }],
  ["GET", "openapi.json"],
];

test("every admin call refuses a missing or wrong token with 401, and the prefix is a plain 404 without ADMIN_TOKEN", async () => {
  for (const [method, path, body] of CALLS) {
    for (const token of [null, "wrong", TOKEN.slice(0, -1), `${TOKEN}x`]) {
      const res = await admin(method, path, body, token);
      expectProblem(assert, res, 401, "admin-unauthorized");
    }
    const bare = await request(s.bare, method, `/__gatehouse/${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expectProblem(assert, bare, 404, "route-not-found");
  }
  expectProblem(assert, await admin("GET", "nothing-here"), 404, "route-not-found");
  expectProblem(assert, await admin("PUT", "keys"), 405, "method-not-allowed");
});

test("a key created through the admin API works, is listed by consumer, plan and hash prefix, and stops working once revoked", async () => {
  const created = await admin("POST", "keys", { consumer: "acme-admin", plan: "gold", scopes: ["data:read"] });
  assert.equal(created.status, 201, created.text);
  const k = created.json();
  assert.match(k.key, /^gh_[A-Za-z0-9_-]{43}$/);
  assert.equal(k.hash, crypto.createHash("sha256").update(k.key).digest("hex"));
  assert.deepEqual([k.consumer, k.plan, k.store], ["acme-admin", "gold", "API_KEYS"]);
  const ok = await request(s.gw, "GET", "/v1/partner/data", { headers: { "x-api-key": k.key } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(s.origin.received.at(-1).headers["x-consumer-id"], "acme-admin");

  for (const query of ["consumer=acme-admin", "plan=gold&consumer=acme-admin", `hash_prefix=${k.hash.slice(0, 6)}`]) {
    const listed = (await admin("GET", `keys?${query}`)).json();
    assert.deepEqual(listed.keys.map((x) => x.hash), [k.hash], query);
    assert.equal(listed.keys[0].consumer, "acme-admin");
    assert.ok(!JSON.stringify(listed).includes(k.key), "the key itself is never listed");
  }
  assert.deepEqual((await admin("GET", "keys?consumer=nobody")).json().keys, []);

  const revoked = await admin("DELETE", `keys/${k.hash.slice(0, 12)}`);
  assert.equal(revoked.status, 200, revoked.text);
  assert.equal(revoked.json().revoked, k.hash);
  expectProblem(assert, await admin("DELETE", `keys/${k.hash}`), 404, "route-not-found");
  assert.deepEqual((await admin("GET", "keys?consumer=acme-admin")).json().keys, []);
  // The policy caches a key's record for cache_ttl = "5s": refused once that copy expires.
  await until(async () => (await request(s.gw, "GET", "/v1/partner/data", { headers: { "x-api-key": k.key } })).status === 401,
    "the revoked key refused", 10_000);
});

test("bad admin requests are 400 problems that say what is wrong", async () => {
  for (const [method, path, body, detail] of [
    ["POST", "keys", "not json", /must be JSON/],
    ["POST", "keys", { consumer: "" }, /consumer/],
    ["POST", "keys", { consumer: "a", expires_at: "tomorrow" }, /RFC 3339/],
    ["POST", "keys", { consumer: "a", store: "OTHER" }, /no api_key policy uses the store/],
    ["POST", "keys", { consumer: "a", extra: 1 }, /unknown field/],
    ["GET", "keys?hash_prefix=xyz", undefined, /hex/],
    ["DELETE", "keys/abc", undefined, /8 digits/],
    ["GET", "limits/no-such-policy?key=a", undefined, /no rate_limit policy/],
    ["GET", "limits/per-ip", undefined, /keyed by 1 part/],
  ]) {
    const res = await admin(method, path, body);
    const p = expectProblem(assert, res, 400, "bad-admin-request");
    assert.match(p.detail, detail, `${method} ${path}`);
  }
});

test("a limiter's state can be read and reset", async () => {
  const ip = "203.0.113.9";
  for (let i = 0; i < 3; i++) {
    assert.equal((await request(s.gw, "GET", "/v1/search", { headers: { "cf-connecting-ip": ip } })).status, 200);
  }
  const read = await admin("GET", `limits/per-ip?key=${ip}`);
  assert.equal(read.status, 200, read.text);
  const state = read.json();
  assert.equal(state.object, `per-ip|${ip}`);
  assert.ok(state.state.limits["per-second"], read.text);
  const reset = await admin("DELETE", `limits/per-ip?key=${ip}`);
  assert.deepEqual(reset.json(), { policy: "per-ip", object: `per-ip|${ip}`, reset: true });
  assert.deepEqual((await admin("GET", `limits/per-ip?key=${ip}`)).json().state.limits, {});
});

test("upstream health lists every target with its breaker state in this isolate", async () => {
  const res = await admin("GET", "upstreams");
  assert.equal(res.status, 200);
  const body = res.json();
  assert.equal(body.scope, "this isolate");
  const pool = body.upstreams.find((u) => u.name === "pool");
  assert.equal(pool.targets.length, 2);
  assert.ok(pool.targets.every((t) => t.breaker === "closed" && t.weight > 0), res.text);
  const users = body.upstreams.find((u) => u.name === "users");
  assert.equal(users.targets[0].breaker, null, "no breaker configured");
});

test("the admin API has its own valid OpenAPI 3.1 document", async () => {
  const res = await admin("GET", "openapi.json");
  assert.equal(res.status, 200);
  const result = await new Validator().validate(res.json());
  assert.equal(result.valid, true, JSON.stringify(result.errors));
  assert.ok(res.json().paths["/__gatehouse/keys"].post);
});

test("each admin call writes one audit line, refusals included", async () => {
  const listed = await admin("GET", "keys");
  const refused = await admin("GET", "upstreams", undefined, "wrong");
  const ids = [listed.headers["x-request-id"], refused.headers["x-request-id"]];
  // Lines are written after each answer, so they are waited for and picked out by request id.
  for (const id of ids) await waitForLog(s.gw, (l) => l.audit === "admin" && l.request_id === id, `audit line of ${id}`);
  const [list, refusal] = ids.map((id) => logLines(s.gw).filter((l) => l.audit === "admin" && l.request_id === id));
  assert.equal(list.length, 1, JSON.stringify(list));
  assert.equal(refusal.length, 1, JSON.stringify(refusal));
  const audits = [list[0], refusal[0]];
  assert.equal(audits[0].action, "keys.list");
  assert.equal(audits[0].status, 200);
  assert.equal(audits[0].path, "/__gatehouse/keys");
  assert.equal(audits[1].status, 401);
  assert.equal(audits[1].action, "refused");
  assert.ok(!JSON.stringify(audits).includes(TOKEN), "the token is never logged");
});

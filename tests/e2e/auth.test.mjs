// Authentication and authorisation end to end: the built worker in Miniflare, a test identity
// provider serving a real JWKS on loopback, API keys in a real (local) KV namespace, and mTLS
// through the `cf` object. WebCrypto inside workerd does the signature checks here.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { readFileSync } from "node:fs";
import { startGateway, request, expectProblem, sleep, until, putApiKey } from "./harness.mjs";
import { startOrigin } from "../../scripts/demo-origin.mjs";
import { startIdp, claims, makeToken, generateKey, AUDIENCE } from "../../scripts/test-idp.mjs";

const JWT_SECRET = crypto.randomBytes(32).toString("base64url");
/** The attack table's rows, shared with the native layer (tests/auth.rs). */
const ATTACKS = JSON.parse(readFileSync(new URL("../fixtures/jwt_attacks.json", import.meta.url))).attacks;
const s = {};

before(async () => {
  s.origin = await startOrigin();
  s.idp = await startIdp();
  s.gw = await startGateway({ ECHO_ORIGIN: s.origin.url, IDP_ORIGIN: s.idp.url, JWT_SECRET });
  s.kv = await s.gw.mf.getKVNamespace("API_KEYS");
});
after(async () => {
  await s.gw?.close();
  await s.idp?.close();
  await s.origin?.close();
});

const last = () => s.origin.received.at(-1);
const bearer = (token) => ({ authorization: `Bearer ${token}` });
const get = (path, headers = {}) => request(s.gw, "GET", path, { headers });
const b64url = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

/** Asserts a 401 whose WWW-Authenticate is a Bearer challenge with this RFC 6750 error code. */
function expectBearer401(res, error, detail) {
  const p = expectProblem(assert, res, 401, "unauthorized");
  const challenge = res.headers["www-authenticate"];
  assert.match(challenge, /^Bearer realm="gatehouse"/);
  if (error) assert.match(challenge, new RegExp(`error="${error}"`));
  else assert.doesNotMatch(challenge, /error=/);
  if (detail) assert.match(p.detail, detail);
  return p;
}

// ---------------------------------------------------------------- valid tokens

for (const alg of ["RS256", "PS256", "ES256", "EdDSA"]) {
  test(`a valid ${alg} token from the JWKS is accepted and its claims reach the origin`, async () => {
    const token = s.idp.token(claims({ sub: `user-${alg}`, scope: "orders:read profile" }), alg);
    const res = await get("/v1/me", { ...bearer(token), "x-user-id": "spoofed", "x-scopes": "admin" });
    assert.equal(res.status, 200, res.text);
    assert.equal(last().headers["x-user-id"], `user-${alg}`);
    assert.equal(last().headers["x-scopes"], "orders:read profile");
  });
}

test("the Bearer scheme is case-insensitive", async () => {
  const res = await get("/v1/me", { authorization: `bEaReR ${s.idp.token()}` });
  assert.equal(res.status, 200, res.text);
});

test("no token: 401 with a bare Bearer challenge and a problem body", async () => {
  const p = expectBearer401(await get("/v1/me"), null, /no credentials/);
  assert.equal(p.instance, "/v1/me");
});

test("an HS256 token signed with the wrangler secret is accepted; another secret is not", async () => {
  const c = { iss: "https://internal.gatehouse.test/", sub: "billing-job", exp: Math.floor(Date.now() / 1000) + 60 };
  const good = makeToken(c, { alg: "HS256", key: JWT_SECRET });
  const res = await get("/v1/service/jobs", bearer(good));
  assert.equal(res.status, 200, res.text);
  assert.equal(last().headers["x-service"], "billing-job");
  const bad = makeToken(c, { alg: "HS256", key: "another-secret-that-is-long-enough-000" });
  expectBearer401(await get("/v1/service/jobs", bearer(bad)), "invalid_token", /signature/);
});

test("a token from the configured cookie or query parameter is accepted", async () => {
  const token = s.idp.token(claims({ sub: "cookie-user" }), "ES256");
  let res = await get("/v1/browser/me", { cookie: `theme=dark; session=${token}` });
  assert.equal(res.status, 200, res.text);
  assert.equal(last().headers["x-user-id"], "cookie-user");
  res = await get(`/v1/browser/me?access_token=${token}&x=1`);
  assert.equal(res.status, 200, res.text);
  // The same cookie twice is ambiguous.
  expectBearer401(await get("/v1/browser/me", { cookie: `session=${token}; session=${token}` }), "invalid_request");
  // Cookies and query parameters are not accepted where they are not configured.
  expectBearer401(await get("/v1/me", { cookie: `session=${token}` }));
  expectBearer401(await get(`/v1/me?access_token=${token}`));
});

// ---------------------------------------------------------------- attack table

const rsa = () => s.idp.keyFor("RS256");
const forged = {
  "alg none": () => `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims())}.`,
  "alg None (case variant)": () => `${b64url({ alg: "None" })}.${b64url(claims())}.`,
  "alg confusion: HS256 signed with the RSA public key as the secret": () =>
    makeToken(claims(), { alg: "HS256", kid: rsa().kid, key: rsa().publicKey.export({ type: "spki", format: "pem" }) }),
  "key-type confusion: ES256 header naming an RSA kid": () =>
    makeToken(claims(), { alg: "ES256", kid: rsa().kid, key: s.idp.keyFor("ES256").privateKey }),
  "kid with a path": () => s.idp.token(claims(), "RS256", { kid: "../../../../etc/passwd" }),
  "kid with SQL": () => s.idp.token(claims(), "RS256", { kid: "' OR '1'='1' --" }),
  "tampered payload": () => {
    const [h, , sig] = s.idp.token(claims({ sub: "alice" })).split(".");
    return `${h}.${b64url(claims({ sub: "admin" }))}.${sig}`;
  },
  "stripped signature": () => s.idp.token().split(".").slice(0, 2).join(".") + ".",
  "signature from another key with the same kid": () =>
    makeToken(claims(), { alg: "RS256", kid: rsa().kid, key: generateKey("RS256").privateKey }),
  "expired": () => s.idp.token(claims({ exp: Math.floor(Date.now() / 1000) - 3600 })),
  "not yet valid (nbf)": () => s.idp.token(claims({ nbf: Math.floor(Date.now() / 1000) + 3600 })),
  "issued in the future (iat)": () => s.idp.token(claims({ iat: Math.floor(Date.now() / 1000) + 3600 })),
  "wrong issuer": () => s.idp.token(claims({ iss: "https://evil.example/" })),
  "wrong audience": () => s.idp.token(claims({ aud: ["someone-else"] })),
  "missing exp": () => { const c = claims(); delete c.exp; return s.idp.token(c); },
  "exp as a string": () => s.idp.token(claims({ exp: "never" })),
  "bad base64": () => "e30~.e30~.abc",
  "two parts only": () => s.idp.token().split(".").slice(0, 2).join("."),
  "four parts": () => s.idp.token() + ".extra",
  "header is not JSON": () => `${b64url("not json")}.${b64url(claims())}.c2ln`,
  "a token over 8 KiB": () => s.idp.token(claims({ pad: "x".repeat(9000) })),
};
test("the attack table covers every row of the shared fixture, in its order", () => {
  assert.deepEqual(Object.keys(forged), ATTACKS.map((a) => a.name));
});
for (const { name, refused } of ATTACKS) {
  test(`attack: ${name} -> 401 invalid_token, origin not reached`, async () => {
    const before = s.origin.received.length;
    const res = await get("/v1/me", bearer(forged[name]()));
    const p = expectBearer401(res, "invalid_token");
    assert.ok(p.detail.includes(refused), `${name}: ${p.detail}`);
    assert.equal(s.origin.received.length, before, "the origin must not see the request");
  });
}

test("attack: malformed Authorization headers", async () => {
  const token = s.idp.token();
  expectBearer401(await get("/v1/me", { authorization: "Bearer" }), "invalid_request");
  expectBearer401(await get("/v1/me", { authorization: "Bearer   " }), "invalid_request");
  expectBearer401(await get("/v1/me", { authorization: `Bearer ${token} extra` }), "invalid_request");
  expectBearer401(await get("/v1/me", { authorization: `Bearer "${token}"` }), "invalid_request");
  expectBearer401(await get("/v1/me", { authorization: `Basic ${token}` })); // other scheme: no token
  expectBearer401(await get("/v1/me", { authorization: `Bearer${token}` }));
  // Two Authorization headers arrive joined as "Bearer a, Bearer b".
  const headers = new Headers();
  headers.append("authorization", `Bearer ${token}`);
  headers.append("authorization", `Bearer ${token}`);
  const twice = await s.gw.mf.dispatchFetch("http://127.0.0.1/v1/me", { headers });
  assert.equal(twice.status, 401);
  assert.match(twice.headers.get("www-authenticate"), /error="invalid_request"/);
});

test("attack: identity headers sent by the client never reach the origin, on any route", async () => {
  const spoof = { "x-user-id": "admin", "x-consumer-id": "acme", "x-scopes": "admin", "x-client-dn": "CN=root", "X-Consumer-Plan": "gold" };
  await get("/v1/users/1", spoof); // a route without authentication
  for (const h of Object.keys(spoof)) assert.equal(last().headers[h.toLowerCase()], undefined, h);
  await get("/v1/me", { ...spoof, ...bearer(s.idp.token(claims({ sub: "bob" }))) });
  assert.equal(last().headers["x-user-id"], "bob");
  assert.equal(last().headers["x-consumer-id"], undefined);
  assert.equal(last().headers["x-client-dn"], undefined);
});

// ---------------------------------------------------------------- authorisation

test("require: a missing scope is 403 insufficient_scope; with it the request passes", async () => {
  const res = await get("/v1/orders", bearer(s.idp.token(claims({ scope: "profile" }))));
  const p = expectProblem(assert, res, 403, "forbidden");
  assert.match(p.detail, /orders:read/);
  assert.match(res.headers["www-authenticate"], /error="insufficient_scope".*scope="orders:read"/);
  const ok = await get("/v1/orders", bearer(s.idp.token(claims({ scp: ["orders:read"] }))));
  assert.equal(ok.status, 200, ok.text);
});

test("require: roles and claim rules", async () => {
  const admin = s.idp.token(claims({ roles: ["admin"], org: "acme" }), "EdDSA");
  assert.equal((await get("/v1/admin/stats", bearer(admin))).status, 200);
  const otherOrg = s.idp.token(claims({ roles: ["admin"], org: "globex" }), "EdDSA");
  expectProblem(assert, await get("/v1/admin/stats", bearer(otherOrg)), 403, "forbidden");
  const noRole = s.idp.token(claims({ roles: ["viewer"], org: "acme" }), "EdDSA");
  expectProblem(assert, await get("/v1/admin/stats", bearer(noRole)), 403, "forbidden");
});

// ---------------------------------------------------------------- API keys

async function createKey(record) {
  const key = await putApiKey(s.gw, record);
  return { key, hash: crypto.createHash("sha256").update(key).digest("hex") };
}

test("API key: a stored key authenticates and its record reaches the origin", async () => {
  const { key } = await createKey({ id: "acme", name: "Acme", plan: "gold", scopes: ["data:read"] });
  const res = await get("/v1/partner/data", { "x-api-key": key, "x-consumer-id": "spoofed" });
  assert.equal(res.status, 200, res.text);
  assert.equal(last().headers["x-consumer-id"], "acme");
  assert.equal(last().headers["x-consumer-plan"], "gold");
  assert.equal(last().headers["x-scopes"], "data:read");
});

test("API key: unknown, missing, disabled, expired and under-scoped keys are refused", async () => {
  const apiKey401 = (res, detail) => {
    const p = expectProblem(assert, res, 401, "unauthorized");
    assert.equal(res.headers["www-authenticate"], 'ApiKey realm="gatehouse", header="x-api-key"');
    assert.match(p.detail, detail);
  };
  apiKey401(await get("/v1/partner/data", { "x-api-key": "not-a-real-key" }), /not valid/);
  apiKey401(await get("/v1/partner/data"), /no credentials/);
  const disabled = await createKey({ id: "d", scopes: ["data:read"], enabled: false });
  apiKey401(await get("/v1/partner/data", { "x-api-key": disabled.key }), /disabled/);
  const expired = await createKey({ id: "e", scopes: ["data:read"], expires_at: "2020-01-01T00:00:00Z" });
  apiKey401(await get("/v1/partner/data", { "x-api-key": expired.key }), /expired/);
  const expiredUnix = await createKey({ id: "e2", scopes: ["data:read"], expires_at: Math.floor(Date.now() / 1000) - 1 });
  apiKey401(await get("/v1/partner/data", { "x-api-key": expiredUnix.key }), /expired/);
  const future = await createKey({ id: "f", scopes: ["data:read"], expires_at: "2999-01-01T00:00:00Z" });
  assert.equal((await get("/v1/partner/data", { "x-api-key": future.key })).status, 200);
  const noScope = await createKey({ id: "n", scopes: ["other"] });
  expectProblem(assert, await get("/v1/partner/data", { "x-api-key": noScope.key }), 403, "forbidden");
});

test("attack: an API key in the wrong place is not accepted", async () => {
  const { key } = await createKey({ id: "wrong-place", scopes: ["data:read"] });
  const refused = async (path, headers) => expectProblem(assert, await get(path, headers), 401, "unauthorized");
  await refused(`/v1/partner/data?api_key=${key}`);          // header route, key in query
  await refused("/v1/partner/data", bearer(key));            // key as a bearer token
  await refused("/v1/partner/data", { "x-api-key": `${key}, ${key}` }); // sent twice
  await refused("/v1/partner/feed", { "x-api-key": key });   // query route, key in header
  assert.equal((await get(`/v1/partner/feed?api_key=${key}`)).status, 200);
});

test("API key: revocation takes effect within the lookup cache bound (cache_ttl = 5s)", async () => {
  const { key, hash } = await createKey({ id: "revoked", scopes: ["data:read"] });
  assert.equal((await get("/v1/partner/data", { "x-api-key": key })).status, 200);
  await s.kv.delete(`sha256:${hash}`);
  const deleted = Date.now();
  let refused;
  await until(async () => (refused = await get("/v1/partner/data", { "x-api-key": key })).status === 401, "the revoked key refused", 8_000);
  expectProblem(assert, refused, 401, "unauthorized");
  assert.ok(Date.now() - deleted <= 5_000 + 1_500, `refused after ${Date.now() - deleted} ms: within cache_ttl (plus slack)`);
});

// ---------------------------------------------------------------- any

test("any: a JWT or an API key is accepted; with neither, both schemes are challenged", async () => {
  assert.equal((await get("/v1/either", bearer(s.idp.token(claims({ sub: "j" }))))).status, 200);
  assert.equal(last().headers["x-user-id"], "j");
  const { key } = await createKey({ id: "k", scopes: [] });
  assert.equal((await get("/v1/either", { "x-api-key": key })).status, 200);
  assert.equal(last().headers["x-consumer-id"], "k");
  const none = await get("/v1/either");
  expectProblem(assert, none, 401, "unauthorized");
  assert.match(none.headers["www-authenticate"], /^Bearer realm="gatehouse", ApiKey realm="gatehouse", header="x-api-key"$/);
  // A credential that is present but wrong is what the client is told about.
  const bad = await get("/v1/either", bearer(s.idp.token(claims({ exp: 1 }))));
  assert.match(bad.json().detail, /expired/);
});

// ---------------------------------------------------------------- mTLS

async function viaCf(path, tlsClientAuth) {
  const res = await s.gw.mf.dispatchFetch(`http://127.0.0.1${path}`, tlsClientAuth ? { cf: { tlsClientAuth } } : {});
  return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() };
}

test("mTLS: a verified client certificate is required; its subject reaches the origin", async () => {
  const cert = { certPresented: "1", certVerified: "SUCCESS", certSubjectDN: "CN=partner-a,O=Acme",
    certIssuerDN: "CN=Acme CA", certFingerprintSHA256: "AB".repeat(32), certSerial: "01" };
  const ok = await viaCf("/v1/mtls/ping", cert);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(last().headers["x-client-dn"], "CN=partner-a,O=Acme");
  assert.equal(last().headers["x-client-fingerprint"], "ab".repeat(32));
  for (const [what, auth, detail] of [
    ["no certificate", { certPresented: "0", certVerified: "NONE" }, /required/],
    ["not verified", { ...cert, certVerified: "FAILED:self signed certificate" }, /could not be verified/],
    ["no tlsClientAuth at all", null, /required/],
  ]) {
    const res = await viaCf("/v1/mtls/ping", auth);
    assert.equal(res.status, 403, what);
    assert.equal(res.headers["content-type"], "application/problem+json");
    assert.match(JSON.parse(res.text).detail, detail, what);
  }
});

test("mTLS: a fingerprint allow-list admits only the pinned certificate", async () => {
  const pinned = "5e3f1b8a0c5d4e2f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b";
  const base = { certPresented: "1", certVerified: "SUCCESS", certSubjectDN: "CN=x" };
  assert.equal((await viaCf("/v1/mtls/pinned", { ...base, certFingerprintSHA256: pinned.toUpperCase() })).status, 200);
  const other = await viaCf("/v1/mtls/pinned", { ...base, certFingerprintSHA256: "00".repeat(32) });
  assert.equal(other.status, 403);
  assert.match(JSON.parse(other.text).detail, /not allowed/);
});

// ---------------------------------------------------------------- JWKS lifecycle (order matters)

test("JWKS: fetched once and reused; a flood of unknown kids refetches at most once per interval", async () => {
  await get("/v1/me", bearer(s.idp.token()));
  const fetches = s.idp.state.fetches;
  for (let i = 0; i < 5; i++) assert.equal((await get("/v1/me", bearer(s.idp.token(claims(), "ES256")))).status, 200);
  assert.equal(s.idp.state.fetches, fetches, "known keys: no refetch");
  await sleep(2100); // past jwks_refetch_interval
  const flood = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    get("/v1/me", bearer(s.idp.token(claims(), "RS256", { kid: `made-up-${i}` })))));
  for (const res of flood) expectBearer401(res, "invalid_token", /unknown key/);
  assert.ok(s.idp.state.fetches - fetches <= 1, `${s.idp.state.fetches - fetches} refetches for 20 unknown kids`);
});

test("JWKS: a rotated-in key is picked up by its new kid", async () => {
  await sleep(2100);
  const fresh = s.idp.rotate("ES256");
  const token = makeToken(claims({ sub: "rotated" }), { alg: "ES256", kid: fresh.kid, key: fresh.privateKey });
  const res = await get("/v1/me", bearer(token));
  assert.equal(res.status, 200, res.text);
  assert.equal(last().headers["x-user-id"], "rotated");
});

test("JWKS: with the IdP down, cached keys keep working and an unknown kid is a 401, not a 5xx", async () => {
  s.idp.state.down = true;
  try {
    await sleep(2100);
    assert.equal((await get("/v1/me", bearer(s.idp.token()))).status, 200);
    const stranger = generateKey("RS256");
    const token = makeToken(claims(), { alg: "RS256", kid: stranger.kid, key: stranger.privateKey });
    expectBearer401(await get("/v1/me", bearer(token)), "invalid_token", /unknown key/);
    await until(() => s.gw.logs.some((l) => l.includes("JWKS fetch") && l.includes("failed")), "the failed fetch logged");
  } finally {
    s.idp.state.down = false;
  }
});

test("JWKS: a new isolate starts from the Cache API copy when the IdP is down", async () => {
  s.idp.state.down = true;
  try {
    await s.gw.restart();
    const res = await get("/v1/me", bearer(s.idp.token(claims(), "EdDSA")));
    assert.equal(res.status, 200, res.text);
  } finally {
    s.idp.state.down = false;
  }
});

test("JWKS: with no keys ever fetched and the IdP down, the answer is 503 auth-unavailable (retryable)", async () => {
  const idp = await startIdp();
  idp.state.down = true;
  const gw = await startGateway({ ECHO_ORIGIN: s.origin.url, IDP_ORIGIN: idp.url, JWT_SECRET });
  try {
    const res = await request(gw, "GET", "/v1/me", { headers: bearer(idp.token()) });
    const p = expectProblem(assert, res, 503, "auth-unavailable");
    assert.match(p.detail, /signing keys/);
    assert.equal(res.headers["retry-after"], "30");
  } finally {
    await gw.close();
    await idp.close();
  }
});

/**
 * /v1/me/short-stale (keys fresh 1 s, usable 3 s more while fetches fail, refetched at most
 * once a second) on its own IdP and gateway, so no other policy's Cache API copy applies:
 * `call()` sends it with one ES256 token.
 */
async function shortStale() {
  const idp = await startIdp();
  idp.state.cacheControl = "max-age=1";
  const gw = await startGateway({ ECHO_ORIGIN: s.origin.url, IDP_ORIGIN: idp.url, JWT_SECRET });
  const token = idp.token(claims(), "ES256");
  return { idp, gw, call: () => request(gw, "GET", "/v1/me/short-stale", { headers: bearer(token) }) };
}

test("JWKS: an IdP that empties its key set revokes every key at once: 401, not max_stale", async () => {
  const { idp, gw, call } = await shortStale();
  try {
    assert.equal((await call()).status, 200);
    idp.state.garbage = JSON.stringify({ keys: [] });
    // Once the keys are stale (1 s) the next request refetches: the empty set is the IdP's word.
    await until(async () => (await call()).status === 401, "the token refused after the refetch");
    const res = await call();
    expectProblem(assert, res, 401, "unauthorized");
  } finally {
    await gw.close();
    await idp.close();
  }
});

test("JWKS: an IdP answering garbage or down: known keys keep working up to jwks_max_stale, then 503 auth-unavailable", async () => {
  const { idp, gw, call } = await shortStale();
  try {
    assert.equal((await call()).status, 200);
    const fetchedAt = Date.now();
    const garbage = [
      ["not JSON", "<html>502 Bad Gateway</html>", /not a JWKS document/],
      ["JSON without keys", JSON.stringify({ issuer: "https://id.gatehouse.test/" }), /not a JWKS document/],
      ["keys with bad material", JSON.stringify({ keys: [{ kty: "EC", crv: "P-256", kid: "bad", x: "!!", y: "!!" }] }), /no usable key/],
    ];
    for (const [what, body, logged] of garbage) {
      idp.state.garbage = body;
      const before = idp.state.fetches;
      // Wait for the gateway to have fetched the garbage (at most once a second)...
      let res;
      for (let i = 0; i < 60 && idp.state.fetches === before; i++) {
        res = await call();
        assert.equal(res.status, 200, `${what}: ${res.text}`);
        await sleep(50);
      }
      assert.ok(idp.state.fetches > before, `${what}: refetched`);
      // ...and the known key still verifies, and the failed fetch is logged with its reason.
      assert.equal((await call()).status, 200, what);
      await until(() => gw.logs.some((l) => l.includes("JWKS fetch") && logged.test(l)), `${what}: the failed fetch logged with its reason`);
    }
    idp.state.garbage = null;
    idp.state.down = true;
    // Past 1 s fresh + 3 s stale the keys may no longer be used: 503, never a pass.
    let res = await call();
    while (res.status === 200 && Date.now() - fetchedAt < 8000) {
      await sleep(100);
      res = await call();
    }
    const elapsed = Date.now() - fetchedAt;
    const p = expectProblem(assert, res, 503, "auth-unavailable");
    assert.match(p.detail, /signing keys/);
    assert.equal(res.headers["retry-after"], "30");
    assert.ok(elapsed >= 3500 && elapsed < 6000, `the keys stopped working ${elapsed} ms after their fetch`);
    // The IdP back: the next fetch (at most a second later) restores them.
    idp.state.down = false;
    let back = await call();
    for (let i = 0; i < 40 && back.status !== 200; i++) {
      await sleep(100);
      back = await call();
    }
    assert.equal(back.status, 200, back.text);
  } finally {
    await gw.close();
    await idp.close();
  }
});

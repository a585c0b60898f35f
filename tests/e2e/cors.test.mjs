// CORS on the wire (kind = "cors"): preflights answered at the edge before authentication and
// rate limits, grants on every answer including problems, disallowed origins, the origin
// server's own CORS headers replaced, and cached entries that never carry one origin's grant
// to another. Routes: routes/v1/web.toml. A real browser: browser.test.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useGateway, request, expectProblem } from "./harness.mjs";

const s = useGateway();
const PAGE = "http://127.0.0.1:9003";

async function send(method, path, headers = {}) {
  const before = s.origin.received.length;
  const res = await request(s.gw, method, path, { headers });
  return { res, reached: s.origin.received.slice(before) };
}

const preflight = (path, origin, method, headers) =>
  send("OPTIONS", path, {
    origin,
    "access-control-request-method": method,
    ...(headers ? { "access-control-request-headers": headers } : {}),
  });

const varies = (res, token) => (res.headers.vary ?? "").split(",").map((t) => t.trim().toLowerCase()).includes(token.toLowerCase());

test("a preflight for a token-protected PUT is answered 204 without a token and without the origin", async () => {
  const { res, reached } = await preflight("/v1/web/items/1", PAGE, "PUT", "Authorization, Content-Type");
  assert.equal(res.status, 204, res.text);
  assert.equal(res.text, "");
  assert.equal(res.headers["access-control-allow-origin"], PAGE);
  assert.equal(res.headers["access-control-allow-credentials"], "true");
  assert.equal(res.headers["access-control-allow-methods"], "PUT");
  assert.equal(res.headers["access-control-allow-headers"], "authorization, content-type");
  assert.equal(res.headers["access-control-max-age"], "600");
  assert.ok(varies(res, "Origin") && varies(res, "Access-Control-Request-Method"));
  assert.ok(res.headers["x-request-id"], "the outbound step ran");
  assert.deepEqual(reached, [], "a preflight never reaches the origin");
});

test("a preflight from a lookalike origin, or for a header not allowed, gets no grant", async () => {
  for (const origin of ["https://gatehouse.test.evil.net", "https://evilgatehouse.test", "https://gatehouse.test", "null"]) {
    const { res, reached } = await preflight("/v1/web/items/1", origin, "PUT");
    assert.equal(res.status, 204, origin);
    assert.equal(res.headers["access-control-allow-origin"], undefined, origin);
    assert.equal(res.headers["access-control-allow-methods"], undefined, origin);
    assert.deepEqual(reached, []);
  }
  const { res } = await preflight("/v1/web/items/1", PAGE, "PUT", "x-admin");
  assert.equal(res.status, 204);
  assert.equal(res.headers["access-control-allow-origin"], undefined);
  // A subdomain of the pattern is granted.
  const ok = await preflight("/v1/web/items/1", "https://app.gatehouse.test", "PUT");
  assert.equal(ok.res.headers["access-control-allow-origin"], "https://app.gatehouse.test");
});

test("a preflight for a method no route serves is an ordinary OPTIONS: 405 without a grant", async () => {
  const { res, reached } = await preflight("/v1/web/items/1", PAGE, "DELETE");
  expectProblem(assert, res, 405, "method-not-allowed");
  assert.equal(res.headers["access-control-allow-origin"], undefined);
  assert.deepEqual(reached, []);
});

test("actual responses carry the grant for an allowed origin and Vary: Origin always", async () => {
  let { res, reached } = await send("GET", "/v1/web/items/7", { origin: PAGE });
  assert.equal(res.status, 200);
  assert.equal(reached.length, 1);
  assert.equal(res.headers["access-control-allow-origin"], PAGE);
  assert.equal(res.headers["access-control-allow-credentials"], "true");
  assert.equal(res.headers["access-control-expose-headers"], "x-request-id, ratelimit, ratelimit-policy");
  assert.ok(varies(res, "Origin"));
  ({ res } = await send("GET", "/v1/web/items/7"));
  assert.equal(res.headers["access-control-allow-origin"], undefined);
  assert.ok(varies(res, "Origin"), "Vary: Origin without an Origin too");
  ({ res } = await send("GET", "/v1/web/items/7", { origin: "https://gatehouse.test.evil.net" }));
  assert.equal(res.status, 200, "without reject the browser, not the gateway, blocks it");
  assert.equal(res.headers["access-control-allow-origin"], undefined);
  assert.ok(varies(res, "Origin"));
});

test("a 401 and a 429 problem carry the grant, so the page can read them", async () => {
  let { res, reached } = await send("PUT", "/v1/web/items/7", { origin: PAGE });
  expectProblem(assert, res, 401, "unauthorized");
  assert.equal(res.headers["access-control-allow-origin"], PAGE);
  assert.ok(varies(res, "Origin"));
  assert.deepEqual(reached, []);
  const headers = { origin: PAGE, "cf-connecting-ip": "198.51.100.77" };
  await send("GET", "/v1/web/limited", headers);
  await send("GET", "/v1/web/limited", headers);
  ({ res } = await send("GET", "/v1/web/limited", headers));
  expectProblem(assert, res, 429, "rate-limited");
  assert.equal(res.headers["access-control-allow-origin"], PAGE);
  assert.match(res.headers.ratelimit ?? "", /"web";r=0/);
});

test("a cached entry never carries one origin's grant, or the origin server's, to another", async () => {
  const path = `/v1/web/cached/${Date.now()}?acao=*`;
  let { res, reached } = await send("GET", path, { origin: PAGE });
  assert.equal(reached.length, 1);
  assert.match(res.headers["cache-status"], /stored/);
  assert.equal(res.headers["access-control-allow-origin"], PAGE, "the origin server's * is replaced");
  ({ res, reached } = await send("GET", path, { origin: "https://app.gatehouse.test" }));
  assert.deepEqual(reached, [], "a hit");
  assert.match(res.headers["cache-status"], /hit/);
  assert.equal(res.headers["access-control-allow-origin"], "https://app.gatehouse.test");
  ({ res, reached } = await send("GET", path, { origin: "https://evil.example" }));
  assert.deepEqual(reached, []);
  assert.equal(res.headers["access-control-allow-origin"], undefined);
  ({ res } = await send("GET", path));
  assert.equal(res.headers["access-control-allow-origin"], undefined);
});

test("reject = true answers a disallowed origin 403 and lets allowed and same-origin requests through", async () => {
  let { res, reached } = await send("GET", "/v1/web/strict", { origin: "https://evil.example" });
  const p = expectProblem(assert, res, 403, "cors-origin-rejected");
  assert.match(p.detail, /https:\/\/evil.example/);
  assert.deepEqual(reached, []);
  ({ res, reached } = await send("GET", "/v1/web/strict", { origin: "https://app.gatehouse.test" }));
  assert.equal(res.status, 200);
  assert.equal(res.headers["access-control-allow-origin"], "https://app.gatehouse.test");
  ({ res } = await send("GET", "/v1/web/strict"));
  assert.equal(res.status, 200, "no Origin: not a cross-origin browser request");
});

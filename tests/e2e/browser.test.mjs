// CORS in a real browser: headless Chromium (Debian's, driven by playwright-core) loads a page
// from a second loopback origin and calls the gateway with fetch(), as a web app would. The
// browser enforces CORS itself, so these pass only if the gateway's grants are right.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, startLoopback, launchChromium } from "./harness.mjs";
import { startOrigin } from "../../scripts/demo-origin.mjs";
import { startIdp, claims } from "../../scripts/test-idp.mjs";

const ALLOWED_PORT = 9003; // listed in routes/gateway.toml [policies.web-cors]
const OTHER_PORT = 9004; // not listed
const s = {};

/** Serves a blank page on 127.0.0.1:`port`: the page's origin. */
const pageServer = (port) => startLoopback((req, res) => {
  res.writeHead(200, { "content-type": "text/html" });
  res.end("<!doctype html><title>page</title><p>page</p>");
}, port);

before(async () => {
  s.origin = await startOrigin();
  s.idp = await startIdp();
  s.gw = await startGateway({ ECHO_ORIGIN: s.origin.url, IDP_ORIGIN: s.idp.url });
  s.pages = [await pageServer(ALLOWED_PORT), await pageServer(OTHER_PORT)];
  s.browser = await launchChromium();
  s.allowed = await s.browser.newPage();
  await s.allowed.goto(`http://127.0.0.1:${ALLOWED_PORT}/`);
  s.other = await s.browser.newPage();
  await s.other.goto(`http://127.0.0.1:${OTHER_PORT}/`);
});
after(async () => {
  await s.browser?.close();
  for (const p of s.pages ?? []) await p.close();
  await s.gw?.close();
  await s.idp?.close();
  await s.origin?.close();
});

/** Runs fetch(gateway + path, init) in `page`; resolves {status, body, requestId} or {error}. */
function call(page, path, init = {}) {
  return page.evaluate(async ({ url, init }) => {
    try {
      const r = await fetch(url, init);
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null, requestId: r.headers.get("x-request-id") };
    } catch (e) {
      return { error: String(e) };
    }
  }, { url: `${s.gw.url.origin}${path}`, init });
}

test("a simple GET from an allowed page is readable, exposed headers included", async () => {
  const r = await call(s.allowed, "/v1/web/items/1");
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.status, 200);
  assert.equal(r.body.path, "/internal/web-items/1");
  assert.ok(r.requestId, "X-Request-Id is exposed to the page");
});

test("a preflighted PUT with a custom header and a JWT reaches the origin; the preflight does not", async () => {
  const before = s.origin.received.length;
  const token = s.idp.token(claims({ sub: "browser-user" }), "ES256");
  const r = await call(s.allowed, "/v1/web/items/2", {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "x-client": "page", "content-type": "application/json" },
    body: JSON.stringify({ name: "two" }),
  });
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.status, 200);
  const reached = s.origin.received.slice(before);
  assert.deepEqual(reached.map((x) => x.method), ["PUT"], "only the actual request reaches the origin");
  assert.equal(reached[0].headers["x-client"], "page");
  assert.equal(reached[0].headers["x-user-id"], "browser-user");
});

test("a credentialed request is allowed (the grant names the page's origin, with credentials)", async () => {
  const r = await call(s.allowed, "/v1/web/items/3", { credentials: "include" });
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.status, 200);
});

test("the browser blocks a page from an origin that is not allowed", async () => {
  const r = await call(s.other, "/v1/web/items/4");
  assert.match(r.error ?? "", /TypeError/, `the fetch must fail, got ${JSON.stringify(r)}`);
  const put = await call(s.other, "/v1/web/items/4", { method: "PUT", headers: { "x-client": "page" } });
  assert.match(put.error ?? "", /TypeError/);
});

test("the page reads a 401 and a 429 problem body", async () => {
  const unauthorized = await call(s.allowed, "/v1/web/items/5", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(unauthorized.error, undefined, unauthorized.error);
  assert.equal(unauthorized.status, 401);
  assert.equal(unauthorized.body.type, "urn:gatehouse:problem:unauthorized");
  assert.match(unauthorized.body.detail, /no credentials/);

  let last;
  for (let i = 0; i < 3; i++) last = await call(s.allowed, "/v1/web/limited");
  assert.equal(last.error, undefined, last.error);
  assert.equal(last.status, 429);
  assert.equal(last.body.type, "urn:gatehouse:problem:rate-limited");
});

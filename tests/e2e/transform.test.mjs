// The transform policy on the wire (routes/v1/profile.toml): query and JSON body edits both
// ways, masking, allow-lists, non-JSON bodies untouched, and failures that never leak the
// unedited body.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, request, expectProblem, startLoopback } from "./harness.mjs";

const seen = [];
let origin;
const ctx = {};

before(async () => {
  origin = await startLoopback((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const url = new URL(req.url, "http://o");
      seen.push({ method: req.method, url: req.url, body, headers: req.headers });
      const json = (obj, extra = {}) => {
        res.writeHead(200, { "content-type": "application/json; charset=utf-8", etag: '"v1"', ...extra });
        res.end(JSON.stringify(obj));
      };
      if (url.pathname === "/profile/text") {
        res.writeHead(200, { "content-type": "text/plain", etag: '"t1"' });
        return res.end("name=Ada; card=4111111111111111");
      }
      if (url.pathname === "/profile/broken") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end("{not json");
      }
      if (url.pathname === "/profile/huge") {
        return json({ id: 1, blob: "x".repeat(70 * 1024) });
      }
      if (req.method === "POST") {
        let received = body;
        try { received = JSON.parse(body); } catch {}
        return json({ received, query: url.search });
      }
      json({ id: 7, name: "Ada Lovelace", card: "4111111111111111", secret: "s3", query: url.search });
    });
  });
  ctx.gw = await startGateway({ ECHO_ORIGIN: origin.url });
});

after(async () => {
  await ctx.gw?.close();
  await origin?.close();
});

test("the response body is edited: renamed, removed, masked; length right, ETag dropped", async () => {
  const res = await request(ctx.gw, "GET", "/v1/profile/me?q=ada&debug=1&x=1");
  assert.equal(res.status, 200, res.text);
  const body = res.json();
  assert.deepEqual(body, { id: 7, displayName: "Ada Lovelace", card: "************1111", query: "?search=ada&x=1&fields=all" });
  // The edited body's length, declared (never the origin's, which described the unedited one).
  assert.equal(res.headers["content-length"], String(Buffer.byteLength(res.text)), "Content-Length of the edited body");
  assert.equal(res.headers.etag, undefined, "the edited body is another representation");
  assert.equal(seen.at(-1).url, "/profile/me?search=ada&x=1&fields=all", "the query was edited upstream");
});

test("the JSON request body is edited before it reaches the origin", async () => {
  const payload = JSON.stringify({ fullName: "Ada", internal: { role: "admin" }, age: 36 });
  const res = await request(ctx.gw, "POST", "/v1/profile/me", {
    body: payload,
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
  });
  assert.equal(res.status, 200, res.text);
  const origin = seen.at(-1);
  assert.deepEqual(JSON.parse(origin.body), { name: "Ada", age: 36, source: "gateway" });
  assert.equal(Number(origin.headers["content-length"]), Buffer.byteLength(origin.body));
  // Chunked (no Content-Length) is read too, within max_body.
  const chunked = await request(ctx.gw, "POST", "/v1/profile/me", { body: payload, headers: { "content-type": "application/json" } });
  assert.equal(chunked.status, 200);
  assert.deepEqual(JSON.parse(seen.at(-1).body), { name: "Ada", age: 36, source: "gateway" });
});

test("two transforms on one route edit the body in turn: the second sees the first's edits", async () => {
  const payload = JSON.stringify({ fullName: "Ada", internal: { role: "admin" } });
  const res = await request(ctx.gw, "POST", "/v1/profile-twice/me", {
    body: payload,
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
  });
  assert.equal(res.status, 200, res.text);
  const origin = seen.at(-1);
  // The first renamed fullName, removed internal and set source; the second removed source.
  assert.deepEqual(JSON.parse(origin.body), { name: "Ada", stage: "second" });
  assert.equal(Number(origin.headers["content-length"]), Buffer.byteLength(origin.body));
});

test("bad and oversized request bodies are refused before the origin", async () => {
  const before = seen.length;
  const bad = await request(ctx.gw, "POST", "/v1/profile/me", { body: "{nope", headers: { "content-type": "application/json", "content-length": "5" } });
  expectProblem(assert, bad, 400, "invalid-body");
  const big = "{\"a\":\"" + "x".repeat(70 * 1024) + "\"}";
  const declared = await request(ctx.gw, "POST", "/v1/profile/me", { body: big, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(big) } });
  expectProblem(assert, declared, 413, "payload-too-large");
  const streamed = await request(ctx.gw, "POST", "/v1/profile/me", { body: big, headers: { "content-type": "application/json" } });
  expectProblem(assert, streamed, 413, "payload-too-large");
  assert.equal(seen.length, before, "none reached the origin");
  // A body that does not say it is JSON is refused, never sent on unedited (issue 23, item 11).
  for (const [type, body] of [["application/x-www-form-urlencoded", "a=1"], ["text/plain", "{\"internal\":{\"role\":\"admin\"}}"], [undefined, "{}"]]) {
    const headers = type ? { "content-type": type } : {};
    expectProblem(assert, await request(ctx.gw, "POST", "/v1/profile/me", { body, headers }), 415, "unsupported-media-type");
  }
  assert.equal(seen.length, before, "none reached the origin");
});

test("a chunked body is read up to the route's max_body when it is smaller than the transform's", async () => {
  const before = seen.length;
  const body = JSON.stringify({ fullName: "x".repeat(2048) });
  const streamed = await request(ctx.gw, "POST", "/v1/profile-small/me", { body, headers: { "content-type": "application/json" } });
  const p = expectProblem(assert, streamed, 413, "payload-too-large");
  assert.match(p.detail, /1024/);
  assert.equal(seen.length, before, "nothing reached the origin");
  const small = await request(ctx.gw, "POST", "/v1/profile-small/me", { body: "{\"fullName\":\"Ada\"}", headers: { "content-type": "application/json" } });
  assert.equal(small.status, 200, small.text);
});

test("non-JSON, broken or oversized answers to edit are 502, never leaked", async () => {
  // A 2xx that is not JSON cannot be edited: it fails closed (issue 23, item 10).
  const text = await request(ctx.gw, "GET", "/v1/profile/text");
  expectProblem(assert, text, 502, "response-transform-failed");
  assert.ok(!text.text.includes("4111"), "the unedited body never reaches the client");
  const broken = await request(ctx.gw, "GET", "/v1/profile/broken");
  expectProblem(assert, broken, 502, "response-transform-failed");
  const huge = await request(ctx.gw, "GET", "/v1/profile/huge");
  expectProblem(assert, huge, 502, "response-transform-failed");
  assert.ok(!huge.text.includes("xxxx"), "the unedited body never reaches the client");
});

test("an allow-list returns only the listed fields", async () => {
  const res = await request(ctx.gw, "GET", "/v1/public-profile/me");
  assert.deepEqual(res.json(), { id: 7, name: "Ada Lovelace" });
  const head = await request(ctx.gw, "HEAD", "/v1/public-profile/me");
  assert.equal(head.status, 200);
  assert.equal(head.text, "");
  // The origin's headers describe the unedited body: its ETag and length never leave.
  assert.equal(head.headers.etag, undefined);
  const length = head.headers["content-length"];
  assert.ok(length === undefined || Number(length) === 0, `the unedited length leaked: ${length}`);
});

test("on a route that edits answers the client cannot ask the origin for another representation", async () => {
  const res = await request(ctx.gw, "GET", "/v1/public-profile/me", {
    headers: { range: "bytes=0-10", "if-range": '"v1"', "if-none-match": '"v1"', "if-modified-since": "Mon, 23 Nov 2026 00:00:00 GMT", "if-match": "*", accept: "text/html" },
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json(), { id: 7, name: "Ada Lovelace" });
  const origin = seen.at(-1).headers;
  for (const h of ["range", "if-range", "if-none-match", "if-modified-since", "if-match"]) assert.equal(origin[h], undefined, h);
  assert.equal(origin.accept, "application/json");
});

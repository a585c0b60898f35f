// Request limits on the wire (route v1-upload-limited: 64 KiB, JSON or images, 50 header
// fields): refused before the origin when the head shows it, cut while streaming otherwise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useGateway, request, expectProblem, until, postChunked } from "./harness.mjs";

const s = useGateway();
const json = (n) => JSON.stringify({ data: "x".repeat(n) });

test("a declared body over max_body is 413 before the origin; one within passes", async () => {
  const before = s.origin.received.length;
  const big = json(70 * 1024);
  const res = await request(s.gw, "POST", "/v1/upload-limited", { body: big, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(big) } });
  expectProblem(assert, res, 413, "payload-too-large");
  assert.equal(s.origin.received.length, before, "the origin never saw it");
  const small = json(1000);
  const ok = await request(s.gw, "POST", "/v1/upload-limited", { body: small, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(small) } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(s.origin.received.at(-1).bodyBytes, Buffer.byteLength(small));
});

test("a streamed body over max_body is 413 and the origin never receives it whole: its upload is cut, not ended", async () => {
  const total = 200 * 1024;
  const received = s.origin.received.length;
  const reached = s.origin.firstBytes("/internal/upload");
  const res = await postChunked(s.gw, "/v1/upload-limited", total);
  expectProblem(assert, res, 413, "payload-too-large");
  await reached; // the first bytes went upstream as they arrived...
  // ...and the origin saw its connection cut mid-body: a clean end would hand it the bytes so
  // far as if they were the whole body.
  await until(() => s.origin.cut.some((r) => r.path === "/internal/upload"), "the origin sees the upload cut");
  const cut = s.origin.cut.find((r) => r.path === "/internal/upload");
  assert.ok(cut.bodyBytes <= 64 * 1024 + 16 * 1024, `at most max_body and one chunk went upstream (${cut.bodyBytes})`);
  assert.equal(s.origin.received.slice(received).filter((r) => r.path === "/internal/upload").length, 0, "no upload ended at the origin");
  // A small chunked body streams through.
  const ok = await request(s.gw, "POST", "/v1/upload-limited", { body: json(100), headers: { "content-type": "application/json" } });
  assert.equal(ok.status, 200, ok.text);
});

test("a body of a media type the route does not accept is 415", async () => {
  const text = await request(s.gw, "POST", "/v1/upload-limited", { body: "hi", headers: { "content-type": "text/plain", "content-length": "2" } });
  expectProblem(assert, text, 415, "unsupported-media-type");
  const none = await request(s.gw, "POST", "/v1/upload-limited", { body: "hi", headers: { "content-length": "2" } });
  expectProblem(assert, none, 415, "unsupported-media-type");
  const image = await request(s.gw, "PUT", "/v1/upload-limited", { body: "PNG", headers: { "content-type": "image/png", "content-length": "3" } });
  assert.equal(image.status, 200, image.text);
  const withParams = await request(s.gw, "POST", "/v1/upload-limited", { body: "{}", headers: { "content-type": "Application/JSON; charset=utf-8", "content-length": "2" } });
  assert.equal(withParams.status, 200);
});

test("too many header fields is 431 on the route; the gateway-wide limit is higher", async () => {
  const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`x-h${i}`, "1"]));
  const res = await request(s.gw, "POST", "/v1/upload-limited", { body: "{}", headers: { ...many, "content-type": "application/json", "content-length": "2" } });
  expectProblem(assert, res, 431, "request-header-fields-too-large");
  const elsewhere = await request(s.gw, "GET", "/v1/users/42", { headers: many });
  assert.equal(elsewhere.status, 200, "200 fields are allowed elsewhere");
});

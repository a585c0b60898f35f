// Request limits on the wire (route v1-upload-limited: 64 KiB, JSON or images, 50 header
// fields): refused before the origin when the head shows it, cut while streaming otherwise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useGateway, request, openRequest, expectProblem } from "./harness.mjs";

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

// Known bug, found when this test was made to check its name (issue 26): the origin receives
// the first 64 KiB as a complete request (a clean end of the chunked body), i.e. a truncated
// upload passed off as whole. Marked todo until the cut errors the upstream body instead.
test("a streamed body over max_body is 413 and the origin never receives it whole", {
  todo: "the upstream body is ended cleanly at max_body instead of aborted",
}, async () => {
  const total = 200 * 1024;
  const received = s.origin.received.length;
  const cut = s.origin.cutOff.length;
  const res = await new Promise((resolve, reject) => {
    const req = openRequest(s.gw, "POST", "/v1/upload-limited", { "content-type": "application/json", "transfer-encoding": "chunked" });
    req.on("response", (r) => {
      let text = "";
      r.on("data", (d) => (text += d));
      r.on("end", () => resolve({ status: r.statusCode, headers: r.headers, text, json: () => JSON.parse(text) }));
    });
    req.on("error", reject);
    const chunk = "x".repeat(16 * 1024);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
  expectProblem(assert, res, 413, "payload-too-large");
  // Whatever reached the origin was cut off before its end: no request completed there (not
  // even a shorter body passed off as the whole), and no cut-off copy held it all.
  assert.deepEqual(s.origin.received.slice(received).filter((r) => r.path === "/internal/upload"), [], "no upload completed upstream");
  assert.ok(s.origin.cutOff.slice(cut).every((r) => r.bodyBytes < total), JSON.stringify(s.origin.cutOff.slice(cut)));
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

// One client's writes invalidate a bounded number of paths a minute (issue 23, item 16): its
// own gateway, so no other test's writes count against the budget.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { useGateway, request, logOf as logOfGateway, startOfWindow } from "./harness.mjs";

const s = useGateway();
const logOf = (requestId) => logOfGateway(s.gw, requestId);
const put = (path, ip) => request(s.gw, "PUT", path, { headers: { "cf-connecting-ip": ip, "content-length": "2" }, body: "{}" });

test("past 100 paths a minute a client's writes skip invalidation; other clients' still invalidate", async () => {
  // The budget is per minute: start early in one so the whole test falls inside it.
  await startOfWindow(60_000, 30_000);
  const mallory = "203.0.113.7";
  for (let i = 0; i < 100; i++) {
    const res = await put(`/v1/cached/${crypto.randomUUID()}`, mallory);
    assert.equal((await logOf(res.headers["x-request-id"])).cache, "invalidated", `write ${i + 1}`);
  }
  const kept = `/v1/cached/${crypto.randomUUID()}?cc=max-age%3D60`;
  await request(s.gw, "GET", kept);
  const over = await put(kept, mallory);
  assert.equal(over.status, 200, "the write itself goes through");
  assert.equal((await logOf(over.headers["x-request-id"])).cache, "invalidate-skipped");
  assert.match((await request(s.gw, "GET", kept)).headers["cache-status"], /; hit;/, "its path's entry is served until it expires");
  const other = await put(kept, "198.51.100.1");
  assert.equal((await logOf(other.headers["x-request-id"])).cache, "invalidated", "another client's budget is its own");
  assert.match((await request(s.gw, "GET", kept)).headers["cache-status"], /fwd=uri-miss/);
});

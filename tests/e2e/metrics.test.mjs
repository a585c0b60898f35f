// Metrics and log control on the wire.
//
// Analytics Engine: Miniflare's own binding (`analyticsEngineDatasets`) is a local simulator
// whose writeDataPoint() accepts a data point and discards it - a test can observe only that
// writing through it does not fail the request. To check what is written, a second gateway
// gets a recording binding instead (Miniflare `wrappedBindings`: a worker whose
// writeDataPoint prints each point as a JSON line), and the test reads the points from the
// runtime's stdout.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startGateway, request } from "./harness.mjs";
import { startOrigin } from "../../scripts/demo-origin.mjs";

const RECORDER = `export default function () {
  return { writeDataPoint(point) { console.log(JSON.stringify({ data_point: point })); } };
}`;

const s = {};
before(async () => {
  s.origin = await startOrigin();
  s.simulated = await startGateway({ ECHO_ORIGIN: s.origin.url }, { analyticsEngineDatasets: { ANALYTICS: { dataset: "gatehouse" } } });
  s.gw = await startGateway({ ECHO_ORIGIN: s.origin.url }, { wrappedBindings: { ANALYTICS: "ae-recorder" } },
    [{ name: "ae-recorder", modules: true, script: RECORDER }]);
});
after(async () => {
  await s.simulated?.close();
  await s.gw?.close();
  await s.origin?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Polls until `f()` is truthy (stdout reaches the test a little after the answer), 2 s at most. */
async function until(f) {
  for (let i = 0; i < 40 && !f(); i++) await sleep(50);
  return f();
}
const lines = (gw) => gw.logs.map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);
const points = () => lines(s.gw).filter((l) => l.data_point).map((l) => l.data_point);
const accessLines = (gw, route) => lines(gw).filter((l) => l.request_id && l.route === route);

async function apiKey(gw, consumer, plan) {
  const kv = await gw.mf.getKVNamespace("API_KEYS");
  const key = crypto.randomBytes(32).toString("base64url");
  const hash = crypto.createHash("sha256").update(key).digest("hex");
  await kv.put(`sha256:${hash}`, JSON.stringify({ id: consumer, plan, scopes: ["data:read"], enabled: true }));
  return key;
}

test("with Miniflare's Analytics Engine binding requests are answered as usual and nothing fails", async () => {
  for (const path of ["/v1/users/1", "/v1/nothing", "/v1/cached/1?cc=max-age%3D60"]) {
    const res = await request(s.simulated, "GET", path);
    assert.ok([200, 404].includes(res.status), `${path}: ${res.status}`);
  }
  await sleep(50);
  assert.equal(lines(s.simulated).filter((l) => l.level === "warn").length, 0, "no analytics write failed");
});

test("one data point per request: consumer as the index, then route, version, status, error, cache, target, plan and sizes", async () => {
  const key = await apiKey(s.gw, "acme-metrics", "gold");
  const before = points().length;
  const ok = await request(s.gw, "GET", "/v1/partner/data", { headers: { "x-api-key": key } });
  assert.equal(ok.status, 200);
  const missing = await request(s.gw, "GET", "/v1/nothing-here");
  assert.equal(missing.status, 404);
  const posted = await request(s.gw, "POST", "/v1/users", { headers: { "content-type": "application/json", "content-length": "7" }, body: '{"a":1}' });
  assert.equal(posted.status, 200);
  await until(() => points().length >= before + 3);
  const got = points().slice(before);
  assert.equal(got.length, 3, JSON.stringify(got));
  // Points carry no request id: each is picked out by what it records.
  const a = got.find((p) => p.blobs[0] === "v1-partner");
  const b = got.find((p) => p.blobs[3] === "404");
  const c = got.find((p) => p.blobs[0] === "v1-create-user");
  assert.deepEqual(a.indexes, ["acme-metrics"]);
  assert.deepEqual(a.blobs.slice(0, 6), ["v1-partner", "v1", "GET", "200", "", ""]);
  assert.equal(a.blobs[6], "${ECHO_ORIGIN}", "the target as configured");
  assert.deepEqual(a.blobs.slice(7), ["acme-metrics", "gold", "users", ""], "no GraphQL operation");
  assert.equal(a.doubles[0], 200);
  assert.ok(a.doubles[1] >= a.doubles[2] && a.doubles[2] >= 0, "total ms >= upstream ms");
  assert.equal(a.doubles[3], -1, "a GET declares no request length");
  assert.deepEqual(b.indexes, [""]);
  assert.deepEqual([b.blobs[0], b.blobs[3], b.blobs[4]], ["", "404", "route-not-found"]);
  assert.equal(c.doubles[3], 7, "the POST's declared length");
});

test("a cache hit is recorded with its outcome", async () => {
  const path = `/v1/cached/${crypto.randomUUID()}?cc=max-age%3D60`;
  await request(s.gw, "GET", path);
  await sleep(50);
  const before = points().filter((p) => p.blobs[5] === "hit").length;
  const res = await request(s.gw, "GET", path);
  assert.match(res.headers["cache-status"], /; hit;/);
  await until(() => points().filter((p) => p.blobs[5] === "hit").length > before);
  const hits = points().filter((p) => p.blobs[5] === "hit");
  assert.equal(hits.length, before + 1);
  assert.equal(hits.at(-1).blobs[0], "v1-cached");
});

test("log = \"errors\" writes no line for answers that went well, and always one for errors", async () => {
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const res = await request(s.gw, "GET", "/v1/quiet/1", { headers: { "x-client": `quiet-${process.pid}` } });
    ids.push([res.status, res.headers["x-request-id"]]);
  }
  assert.deepEqual(ids.map(([st]) => st), [200, 200, 429]);
  await until(() => accessLines(s.gw, "v1-quiet").length >= 1);
  await sleep(100);
  const logged = accessLines(s.gw, "v1-quiet").map((l) => l.request_id);
  assert.deepEqual(logged, [ids[2][1]], "only the 429");
  assert.ok(points().some((p) => p.blobs[0] === "v1-quiet" && p.blobs[3] === "200"), "data points are not sampled");
});

test("log = { sample = 0.5 } writes about half the lines", async () => {
  const n = 200;
  for (let i = 0; i < n; i++) assert.equal((await request(s.gw, "GET", `/v1/sampled/${i}`)).status, 200);
  // Wait until the count stops moving (lines arrive a little after the answers).
  let seen = -1;
  while (seen !== accessLines(s.gw, "v1-sampled").length) {
    seen = accessLines(s.gw, "v1-sampled").length;
    await sleep(200);
  }
  const logged = accessLines(s.gw, "v1-sampled").length;
  // Binomial(200, 0.5): 60..140 holds with probability 1 - 1e-8.
  assert.ok(logged >= 60 && logged <= 140, `${logged} of ${n}`);
});

test("an Analytics Engine binding whose writeDataPoint throws: answers are unchanged, one warning per request", async () => {
  const THROWS = `export default function () {
    return { writeDataPoint() { throw new Error("analytics engine unavailable"); } };
  }`;
  const gw = await startGateway({ ECHO_ORIGIN: s.origin.url }, { wrappedBindings: { ANALYTICS: "ae-throws" } },
    [{ name: "ae-throws", modules: true, script: THROWS }]);
  try {
    const comparable = (res) => {
      const body = res.json();
      delete body.headers; // the request id and forwarding headers differ per request
      return { status: res.status, type: res.headers["content-type"], body: body.type ? { type: body.type, status: body.status } : body };
    };
    for (const path of ["/v1/users/1", "/v1/nothing"]) {
      const res = await request(gw, "GET", path);
      const expected = await request(s.simulated, "GET", path);
      assert.deepEqual(comparable(res), comparable(expected), path);
      const id = res.headers["x-request-id"];
      // The access line still comes, and exactly one warning about the write.
      assert.ok(await until(() => lines(gw).some((l) => l.request_id === id && l.status === res.status)), `${path}: access line`);
    }
    const warnings = () => lines(gw).filter((l) => l.level === "warn" && /analytics write failed: analytics engine unavailable/.test(l.message));
    await until(() => warnings().length >= 2);
    await sleep(100);
    assert.equal(warnings().length, 2, gw.logs.join("\n"));
  } finally {
    await gw.close();
  }
});

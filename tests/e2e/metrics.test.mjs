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
import { startGateway, request, sleep, until, logLines, logOf, putApiKey } from "./harness.mjs";
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

const lines = logLines;
const points = () => lines(s.gw).filter((l) => l.data_point).map((l) => l.data_point);
const accessLines = (gw, route) => lines(gw).filter((l) => l.request_id && l.route === route);
const apiKey = (gw, consumer, plan) => putApiKey(gw, { id: consumer, plan, scopes: ["data:read"] });

/** Sends one request that is always logged and waits for its line: every line of the requests
 * before it has arrived by then (stdout keeps their order). */
async function drained(gw) {
  const res = await request(gw, "GET", "/v1/users/drain");
  await logOf(gw, res.headers["x-request-id"]);
}

test("with Miniflare's Analytics Engine binding requests are answered as usual and nothing fails", async () => {
  for (const path of ["/v1/users/1", "/v1/nothing", "/v1/cached/1?cc=max-age%3D60"]) {
    const res = await request(s.simulated, "GET", path);
    assert.ok([200, 404].includes(res.status), `${path}: ${res.status}`);
  }
  await drained(s.simulated);
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
  await until(() => points().length >= before + 3, "three data points");
  const got = points().slice(before);
  assert.equal(got.length, 3, JSON.stringify(got));
  // Points carry no request id: each is picked out by what it records.
  const a = got.find((p) => p.blobs[0] === "v1-partner");
  const b = got.find((p) => p.blobs[3] === "404");
  const c = got.find((p) => p.blobs[0] === "v1-create-user");
  assert.deepEqual(a.indexes, ["acme-metrics"]);
  assert.deepEqual(a.blobs.slice(0, 6), ["v1-partner", "v1", "GET", "200", "", ""]);
  assert.equal(a.blobs[6], "${ECHO_ORIGIN}", "the target as configured");
  assert.deepEqual(a.blobs.slice(7, 11), ["acme-metrics", "gold", "users", ""], "no GraphQL operation");
  assert.deepEqual(a.blobs.slice(11), ["", "", ""], "no LLM call: provider, model and alias empty");
  assert.deepEqual(a.doubles.slice(5), [0, 0, 0, 0, 0], "no LLM call: no tokens, cost, first token or attempts");
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
  const before = points().filter((p) => p.blobs[5] === "hit").length;
  const res = await request(s.gw, "GET", path);
  assert.match(res.headers["cache-status"], /; hit;/);
  await until(() => points().filter((p) => p.blobs[5] === "hit").length > before, "the hit's data point");
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
  await logOf(s.gw, ids[2][1]);
  await drained(s.gw);
  const logged = accessLines(s.gw, "v1-quiet").map((l) => l.request_id);
  assert.deepEqual(logged, [ids[2][1]], "only the 429");
  assert.ok(points().some((p) => p.blobs[0] === "v1-quiet" && p.blobs[3] === "200"), "data points are not sampled");
});

test("log = { sample = 0.5 } writes about half the lines", async () => {
  const n = 200;
  for (let i = 0; i < n; i++) assert.equal((await request(s.gw, "GET", `/v1/sampled/${i}`)).status, 200);
  await drained(s.gw);
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
      await until(() => lines(gw).some((l) => l.request_id === id && l.status === res.status), `${path}: access line`);
    }
    const warnings = () => lines(gw).filter((l) => l.level === "warn" && /analytics write failed: analytics engine unavailable/.test(l.message));
    await until(() => warnings().length >= 2, "a warning per request");
    await sleep(100); // and no third one: an absence needs a bounded wait
    assert.equal(warnings().length, 2, gw.logs.join("\n"));
  } finally {
    await gw.close();
  }
});

// HTTP-cache conformance checks through the standard-mode cache route (`forward = "all"`),
// run one by one and then 25 at a time over distinct URLs: the verdicts must be the same, and
// the expected ones (issue 23, item 4). Each check sends its requests back to back, as a
// conformance suite does: the store after a response must be visible to the next request.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { useGateway, request } from "./harness.mjs";

const s = useGateway();
const BASE = "/v1/cached-standard";

/** Sends `n` GETs (or the given requests) in a row and says what the origin saw. */
async function run(check) {
  const id = crypto.randomUUID();
  const seen = () => s.origin.received.filter((r) => r.path === `/internal/cacheable/${id}`);
  const send = (query, { method = "GET", headers = {} } = {}) => request(s.gw, method, `${BASE}/${id}?${query}`, { headers });
  const out = await check(send, seen);
  return typeof out === "string" ? out : JSON.stringify(out);
}

// Each check answers a verdict: what the client got and what reached the origin.
const checks = {
  "a fresh response is reused": [async (send, seen) => {
    await send("cc=max-age%3D60");
    const again = await send("cc=max-age%3D60");
    return `${/; hit;/.test(again.headers["cache-status"]) ? "hit" : "miss"} origin=${seen().length}`;
  }, "hit origin=1"],
  "no-store is never reused": [async (send, seen) => {
    await send("cc=no-store");
    const again = await send("cc=no-store");
    return `${again.json().n} origin=${seen().length}`;
  }, "2 origin=2"],
  "no-cache with an ETag is revalidated before reuse": [async (send, seen) => {
    const first = await send("cc=no-cache");
    const again = await send("cc=no-cache");
    return `${again.text === first.text} validated=${seen().at(-1).headers["if-none-match"] === '"v1"'} origin=${seen().length}`;
  }, "true validated=true origin=2"],
  "max-age=0 without a validator is not stored": [async (send, seen) => {
    await send("cc=max-age%3D0&nv=1");
    await send("cc=max-age%3D0&nv=1");
    return `origin=${seen().length}`;
  }, "origin=2"],
  "private is not stored": [async (send, seen) => {
    await send("cc=private%2C%20max-age%3D60");
    await send("cc=private%2C%20max-age%3D60");
    return `origin=${seen().length}`;
  }, "origin=2"],
  "Set-Cookie is not stored": [async (send, seen) => {
    await send("cc=max-age%3D60&cookie=1");
    await send("cc=max-age%3D60&cookie=1");
    return `origin=${seen().length}`;
  }, "origin=2"],
  "another Vary value is a miss, the same one a hit": [async (send, seen) => {
    await send("cc=max-age%3D60&vary=accept-language", { headers: { "accept-language": "en" } });
    await send("cc=max-age%3D60&vary=accept-language", { headers: { "accept-language": "en" } });
    await send("cc=max-age%3D60&vary=accept-language", { headers: { "accept-language": "de" } });
    return `origin=${seen().length}`;
  }, "origin=2"],
  "an invalid Age is stale": [async (send, seen) => {
    await send("cc=max-age%3D60&nv=1&h.age=old%2C%200");
    await send("cc=max-age%3D60&nv=1&h.age=old%2C%200");
    return `origin=${seen().length}`;
  }, "origin=2"],
  "s-maxage wins over max-age=0": [async (send, seen) => {
    await send("cc=max-age%3D0%2C%20s-maxage%3D60");
    await send("cc=max-age%3D0%2C%20s-maxage%3D60");
    return `origin=${seen().length}`;
  }, "origin=1"],
  "CDN-Cache-Control: no-store wins over Cache-Control": [async (send, seen) => {
    await send("cc=max-age%3D60&h.cdn-cache-control=no-store");
    await send("cc=max-age%3D60&h.cdn-cache-control=no-store");
    return `origin=${seen().length}`;
  }, "origin=2"],
  "a HEAD is not stored for the GET": [async (send, seen) => {
    await send("cc=max-age%3D60", { method: "HEAD" });
    const get = await send("cc=max-age%3D60");
    const again = await send("cc=max-age%3D60");
    return `${get.text.length > 0} ${again.text === get.text} origin=${seen().length}`;
  }, "true true origin=2"],
  "a future Expires is reused": [async (send, seen) => {
    await send("expires=60");
    await send("expires=60");
    return `origin=${seen().length}`;
  }, "origin=1"],
};

/** Every check three times over (36 in all), so 25 at a time really overlap. */
const NAMES = Object.keys(checks).flatMap((name) => [1, 2, 3].map((k) => `${name} #${k}`));
const checkOf = (name) => checks[name.replace(/ #\d$/, "")];

async function verdicts(concurrency) {
  const names = NAMES;
  const out = {};
  for (let i = 0; i < names.length; i += concurrency) {
    const batch = names.slice(i, i + concurrency);
    const got = await Promise.all(batch.map((name) => run(checkOf(name)[0])));
    batch.forEach((name, j) => (out[name] = got[j]));
  }
  return out;
}

test("conformance checks give the expected verdicts one by one and 25 at a time", async () => {
  const expected = Object.fromEntries(NAMES.map((name) => [name, checkOf(name)[1]]));
  const one = await verdicts(1);
  assert.deepEqual(one, expected, "one by one");
  for (let round = 0; round < 3; round++) {
    assert.deepEqual(await verdicts(25), one, `25 at a time, round ${round + 1}`);
  }
});

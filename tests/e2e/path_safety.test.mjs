// Path tricks over the wire: no encoding of a path may reach an upstream while skipping the
// matched route's policies, or reach an unrouted upstream path. Each case checks what the
// origin received (nothing, or exactly the canonical path) - not only the status.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { useGateway, request, expectProblem } from "./harness.mjs";

const attacks = JSON.parse(readFileSync(new URL("../fixtures/path_attacks.json", import.meta.url)));

const s = useGateway();

/** Sends with a cookie (which route v1-get-user's `no-cookies` policy must strip). */
async function send(path) {
  const before = s.origin.received.length;
  const res = await request(s.gw, "GET", path, { headers: { cookie: "session=secret" } });
  const reached = s.origin.received.slice(before);
  return { res, reached };
}

test("rejected tricks are 400 problem+json and reach nothing", async () => {
  const cases = [
    "/v1/users/%2F..%2F..%2Fadmin",   // encoded slashes
    "/v1/files/..%2F..%2Finternal%2Fusers",
    "/v1/files/a%2fb",
    "/v1/users/a%5c..%5cadmin",       // encoded backslash
    "/v1/users/42%00",                // encoded NUL
    "/v1/users/42%0d%0aX-Injected:%201", // header injection attempt
    "/v1/files/..;/internal/users/1", // servlet-style dot segment with parameters
    "/v1/files/%2e%2e;/x",
    "/v1/users/%zz",                  // malformed escape
    "/v1/users/%",
  ];
  for (const path of cases) {
    const { res, reached } = await send(path);
    expectProblem(assert, res, 400, "bad-path");
    assert.deepEqual(reached, [], `${path} must not reach the origin`);
  }
});

test("equivalent spellings of a routed path run that route's policies and send the canonical path", async () => {
  const cases = [
    "/v1/users/42",
    "/v1//users///42",
    "/v1/./users/./42",
    "/v1/users/42/",
    "/v1/%75sers/42",
    "/v1/%75%73%65%72%73/%34%32",
    "/v1/admin/../users/42",
    "/v1/admin/%2e%2e/users/42",
    "/v1/admin/%2E%2E/users/42",
    "/v1/admin/.%2e/users/42",
    "/v1\\users\\42",                   // the runtime reads '\' as '/' in http(s) URLs
  ];
  for (const path of cases) {
    const { res, reached } = await send(path);
    assert.equal(res.status, 200, `${path}: ${res.text}`);
    assert.equal(reached.length, 1, path);
    assert.equal(reached[0].path, "/internal/users/42", path);
    assert.equal(reached[0].headers.cookie, undefined, `${path} must run v1-get-user's no-cookies policy`);
  }
});

test("climbing out of a route never reaches an unrouted upstream path", async () => {
  const cases = [
    "/v1/files/../../internal/users/1",
    "/v1/files/%2e%2e/%2e%2e/internal/users/1",
    "/v1/files/%2e%2e/%2e%2e/%2e%2e/%2e%2e/internal/users/1",
    "/../../internal/users/1",
    "/internal/users/1",
    "/V1/users/42",                     // paths are case-sensitive
  ];
  for (const path of cases) {
    const { res, reached } = await send(path);
    expectProblem(assert, res, 404, "route-not-found");
    assert.deepEqual(reached, [], `${path} must not reach the origin`);
  }
});

test("a catch-all parameter cannot smuggle dot segments upstream", async () => {
  const { res, reached } = await send("/v1/files/a/%2e%2e/b/./c");
  assert.equal(res.status, 200);
  assert.equal(reached[0].path, "/storage/public/b/c");
});

test("non-unreserved escapes are forwarded encoded exactly once", async () => {
  const { res, reached } = await send("/v1/files/caf%c3%a9/a%2520b");
  assert.equal(res.status, 200);
  assert.equal(reached[0].path, "/storage/public/caf%C3%A9/a%2520b");
});

test("overlong UTF-8, lookalike, double-encoded and dot-parameter escapes are 400 bad-path and reach nothing", async () => {
  for (const path of attacks.refused) {
    const { res, reached } = await send(path);
    const p = expectProblem(assert, res, 400, "bad-path");
    assert.match(p.detail, /request path/, path);
    assert.deepEqual(reached, [], `${path} must not reach the origin`);
  }
});

test("a route with allow_double_encoding = true forwards double-encoded escapes unchanged", async () => {
  for (const { path, forwarded } of attacks.archive) {
    const { res, reached } = await send(path);
    assert.equal(res.status, 200, `${path}: ${res.text}`);
    assert.deepEqual(reached.map((r) => r.path), [forwarded], path);
  }
  // Its other path rules still hold.
  const { res, reached } = await send("/v1/archive/%C0%AE%C0%AE/x");
  expectProblem(assert, res, 400, "bad-path");
  assert.deepEqual(reached, []);
});

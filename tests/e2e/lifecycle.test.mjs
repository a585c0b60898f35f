// API lifecycle on the wire: routes/v1/version.toml deprecates v1 (Deprecation, Sunset and
// Link headers on every answer, `version`/`deprecated` in the access log), a route past its
// own sunset answers 410 without calling the origin, and unprefixed paths pick a version from
// the Api-Version header, the api-version query parameter or the default (v2).
// The gateway's calendar is the harness's DEFAULT_DAY (v1 deprecated, /v1/reports/summary
// sunset) unless a test sets its own with clockAt: nothing here depends on today's date.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useGateway, withGateway, request, expectProblem, clockAt, logOf, requestId } from "./harness.mjs";

const s = useGateway();

async function send(path, headers = {}, gw = s.gw) {
  const before = s.origin.received.length;
  const id = requestId("life");
  const res = await request(gw, "GET", path, { headers: { "x-request-id": id, ...headers } });
  return { res, id, reached: s.origin.received.slice(before) };
}

const logLine = (id, gw = s.gw) => logOf(gw, id);

/** Runs `body` against a gateway whose calendar reads `iso`. */
const at = (iso, body) => withGateway({ ECHO_ORIGIN: s.origin.url, ...clockAt(iso) }, body);

test("a deprecated version's answers carry Deprecation, Sunset and both Links", async () => {
  const { res, id } = await send("/v1/users/42");
  assert.equal(res.status, 200);
  assert.equal(res.headers.deprecation, "@1780272000");
  assert.equal(res.headers.sunset, "Thu, 31 Dec 2099 00:00:00 GMT");
  assert.match(res.headers.link, /<\/v2\/users\/42>; rel="successor-version"/);
  assert.match(res.headers.link, /<https:\/\/docs\.gatehouse\.test\/deprecation-policy>; rel="deprecation"/);
  const line = await logLine(id);
  assert.equal(line.version, "v1");
  assert.equal(line.deprecated, true);
});

test("problems on a deprecated route carry the headers too; the current version carries none", async () => {
  const { res } = await send("/v1/me");
  expectProblem(assert, res, 401, "unauthorized");
  assert.equal(res.headers.deprecation, "@1780272000");
  const current = await send("/v2/users/42");
  assert.equal(current.res.status, 200);
  assert.equal(current.res.headers.deprecation, undefined);
  assert.equal(current.res.headers.sunset, undefined);
  const line = await logLine(current.id);
  assert.equal(line.version, "v2");
  assert.equal(line.deprecated, false);
});

test("a route past its sunset answers 410 api-sunset with the successor link and never calls the origin", async () => {
  const { res, reached } = await send("/v1/reports/summary");
  const p = expectProblem(assert, res, 410, "api-sunset");
  assert.match(p.detail, /v1 was retired on Wed, 30 Sep 2026 00:00:00 GMT; use \/v2\/reports\/summary/);
  assert.equal(res.headers.sunset, "Wed, 30 Sep 2026 00:00:00 GMT");
  assert.match(res.headers.link, /<\/v2\/reports\/summary>; rel="successor-version"/);
  assert.deepEqual(reached, []);
  const next = await send("/v2/reports/summary");
  assert.equal(next.res.status, 200);
});

test("unprefixed paths pick the version from the header, then the query, then the default", async () => {
  let { res, reached } = await send("/users/42", { "api-version": "v1" });
  assert.equal(res.status, 200, res.text);
  assert.equal(reached[0].path, "/internal/users/42", "v1's rewrite");
  assert.equal(res.headers.deprecation, "@1780272000");
  ({ res, reached } = await send("/users/42?api-version=v1"));
  assert.equal(reached[0].path, "/internal/users/42");
  ({ res, reached } = await send("/users/42"));
  assert.equal(res.status, 200);
  assert.equal(reached[0].path, "/v2/users/42", "the default, v2, sends its public path");
  ({ res, reached } = await send("/users/42", { "api-version": "v9" }));
  const p = expectProblem(assert, res, 400, "unknown-version");
  assert.match(p.detail, /known versions: v1, v2/);
  assert.deepEqual(reached, []);
});

test("before its deprecation date a version is current: no lifecycle headers, its routes answer", async () => {
  await at("2026-01-01T00:00:00Z", async (gw) => {
    const { res, id } = await send("/v1/users/42", {}, gw);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.deprecation, undefined);
    assert.equal(res.headers.sunset, undefined);
    assert.equal(res.headers.link, undefined);
    const line = await logLine(id, gw);
    assert.equal(line.version, "v1");
    assert.equal(line.deprecated, false);
    const early = await send("/v1/reports/summary", {}, gw);
    assert.equal(early.res.status, 200, "before its own sunset (2026-09-30) the route still answers");
  });
});

test("after the version's sunset every route of it answers 410 and the successor still answers", async () => {
  await at("2100-01-01T00:00:00Z", async (gw) => {
    for (const path of ["/v1/users/42", "/v1/me"]) {
      const { res, reached } = await send(path, {}, gw);
      const p = expectProblem(assert, res, 410, "api-sunset");
      assert.match(p.detail, /v1 was retired on Thu, 31 Dec 2099 00:00:00 GMT/);
      assert.deepEqual(reached, [], `${path} never reaches the origin`);
    }
    const { res } = await send("/v2/users/42", {}, gw);
    assert.equal(res.status, 200);
    assert.equal(res.headers.sunset, undefined);
  });
});

// JOSE header rules on the wire (issue 11): correctly signed tokens whose header carries `crit`,
// `b64`, `cty`, JWE headers, another `typ` or repeated members are 401 invalid_token, and the
// origin receives nothing for them. Cases: tests/fixtures/jose_headers.json (shared with the
// native test tests/jose_header.rs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { readFileSync } from "node:fs";
import { startGateway, request, expectProblem } from "./harness.mjs";
import { startOrigin } from "../../scripts/demo-origin.mjs";
import { startIdp, claims } from "../../scripts/test-idp.mjs";

const JWT_SECRET = crypto.randomBytes(32).toString("base64url");
const fixture = JSON.parse(readFileSync(new URL("../fixtures/jose_headers.json", import.meta.url)));
const s = {};

before(async () => {
  s.origin = await startOrigin();
  s.idp = await startIdp();
  s.gw = await startGateway({ ECHO_ORIGIN: s.origin.url, IDP_ORIGIN: s.idp.url, JWT_SECRET });
});
after(async () => {
  await s.gw?.close();
  await s.idp?.close();
  await s.origin?.close();
});

const b64url = (text) => Buffer.from(text).toString("base64url");

/** An HS256 token over raw header and claims JSON text (members may repeat). */
function hsToken(header, claimsText) {
  const now = Math.floor(Date.now() / 1000);
  const body = claimsText.replaceAll("$NOW", String(now)).replaceAll("$EXP", String(now + 60));
  const input = `${b64url(header)}.${b64url(body)}`;
  return `${input}.${crypto.createHmac("sha256", JWT_SECRET).update(input).digest("base64url")}`;
}

const DEFAULT_CLAIMS = '{"iss":"https://internal.gatehouse.test/","sub":"billing-job","iat":$NOW,"exp":$EXP}';

async function send(path, token) {
  const before = s.origin.received.length;
  const res = await request(s.gw, "GET", path, { headers: { authorization: `Bearer ${token}` } });
  return { res, reached: s.origin.received.slice(before) };
}

for (const c of fixture.cases) {
  const verdict = c.refused === null ? "is accepted" : "is 401 invalid_token and reaches nothing";
  test(`JOSE header: ${c.name} ${verdict}`, async () => {
    const { res, reached } = await send("/v1/service/jobs", hsToken(c.header, c.claims ?? DEFAULT_CLAIMS));
    if (c.refused === null) {
      assert.equal(res.status, 200, res.text);
      assert.equal(reached.length, 1);
      return;
    }
    const p = expectProblem(assert, res, 401, "unauthorized");
    assert.match(res.headers["www-authenticate"], /error="invalid_token"/);
    assert.ok(p.detail.includes(c.refused), `${c.name}: ${p.detail}`);
    assert.deepEqual(reached, [], `${c.name} must not reach the origin`);
  });
}

test("an RS256 token from the IdP's own key with crit naming an unknown extension is refused", async () => {
  const good = s.idp.token(claims({ sub: "crit-user" }), "RS256");
  assert.equal((await send("/v1/me", good)).res.status, 200, "the same key without crit is accepted");
  const token = s.idp.token(claims({ sub: "crit-user" }), "RS256", { header: { crit: ["x-unknown"], "x-unknown": 1 } });
  const { res, reached } = await send("/v1/me", token);
  const p = expectProblem(assert, res, 401, "unauthorized");
  assert.match(p.detail, /crit header lists "x-unknown", an extension Gatehouse does not implement/);
  assert.deepEqual(reached, []);
});

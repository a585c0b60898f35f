// Failure modes: origin down, variables missing or invalid. Each is a problem+json, never a
// panic, hang or generic runtime error page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startGateway, request, expectProblem, logOf, freePort } from "./harness.mjs";

test("origin down is 502 problem+json naming the upstream", async () => {
  const gw = await startGateway({ ECHO_ORIGIN: `http://127.0.0.1:${await freePort()}` });
  try {
    const p = expectProblem(assert, await request(gw, "GET", "/v1/users/1"), 502, "upstream-unreachable");
    assert.equal(p.detail, 'upstream "users" could not be reached');
    const post = await request(gw, "POST", "/v1/upload", { body: "x".repeat(100000) });
    expectProblem(assert, post, 502, "upstream-unreachable");
  } finally {
    await gw.close();
  }
});

test("a missing variable is 500 problem+json naming it, logged once, and the gateway keeps serving", async () => {
  const gw = await startGateway({});
  try {
    for (let i = 0; i < 3; i++) {
      const p = expectProblem(assert, await request(gw, "GET", "/v1/users/1"), 500, "missing-variable");
      assert.match(p.detail, /ECHO_ORIGIN/);
    }
    // Routing still answers without the variable.
    const last = await request(gw, "GET", "/nope");
    expectProblem(assert, last, 404, "route-not-found");
    // The last request's access line comes after every line the three before it wrote.
    await logOf(gw, last.headers["x-request-id"]);
    const errors = gw.logs.filter((l) => l.includes('"level":"error"') && l.includes("ECHO_ORIGIN"));
    assert.equal(errors.length, 1, gw.logs.join("\n"));
  } finally {
    await gw.close();
  }
});

test("a variable holding an invalid URL is 500 problem+json", async () => {
  const gw = await startGateway({ ECHO_ORIGIN: "not-a-url" });
  try {
    const p = expectProblem(assert, await request(gw, "GET", "/v1/users/1"), 500, "invalid-upstream-url");
    assert.match(p.detail, /users/);
  } finally {
    await gw.close();
  }
});

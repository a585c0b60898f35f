// The OpenAPI document against the running gateway, checked by a property-based API tester
// (Schemathesis, installed by scripts/setup.sh into .venv-tools/). The built worker in
// Miniflare serves the example routes, every origin pointed at a recording origin on
// 127.0.0.1, on the harness's calendar (DEFAULT_DAY: v1 deprecated, /v1/reports/summary past
// its sunset), so nothing depends on today's date.
//
// Schemathesis draws schema-valid requests for every operation in /openapi.json and checks:
// - gateway_accepts_valid_data (tests/conformance/gateway_checks.py): the gateway refuses no
//   schema-valid request (400, 405, 410, 413, 415, 422 ...); Schemathesis's own
//   positive_data_acceptance, except that an origin's own verdict the gateway relays (a gRPC
//   INVALID_ARGUMENT, problem type grpc-status) is the origin's business, not the document's;
// - status_code_conformance: every status answered is one the operation documents;
// - not_a_server_error: no 5xx other than 502/503/504 (an origin's failure, documented).
// Bounded: positive generation only, one worker, a fixed seed, and a time budget. Schemathesis
// repeats its pass over the operations (CONFORMANCE_EXAMPLES cases each, default 2) until
// CONFORMANCE_SECONDS (default 90) are spent; a repeated pass redraws mostly the same seeded
// cases (and so also sends each again, to a warm cache and a spent rate limit). `make test`
// runs the defaults; `make conformance` searches wider (10 cases per operation a pass, 600 s).
// The LLM routes (routes/v1/ai.toml) are in: their providers are the LLM provider double
// (tests/e2e/llm-double.mjs, OpenAI's and Anthropic's wire formats) and the Workers AI binding
// double, and their operations send a gold-plan API key as a bearer token (schemathesis.toml
// [[operations]]; every other operation sends the IdP's JWT) - so every alias, streamed or not,
// reaches a provider, and the document's request schema is held to what each one accepts.
// Left out: the three ListBooks streams (/v1/book-list, /v1/book-list-connect, GET
// /v1/shelf/books), whose demo origin holds a stream open until a test releases it when the
// request names a `hold`; and the two routes whose origins answer after the route's deadline
// on purpose (GET /v1/reports/slow, /v1/wait: seconds per request, tests/e2e covers them).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startGateway, withGateway, clockAt, calendarNow, putApiKey } from "../e2e/harness.mjs";
import { startLlmDouble } from "../e2e/llm-double.mjs";
import { workersAiBinding } from "../e2e/workers-ai.mjs";
import { startOrigin } from "../../scripts/demo-origin.mjs";
import { startIdp, claims } from "../../scripts/test-idp.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SCHEMATHESIS = path.join(root, ".venv-tools/bin/schemathesis");

/** A positive whole number from the environment variable `name`, or `fallback` when unset. */
function wholeFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^[1-9][0-9]*$/.test(raw)) throw new Error(`${name} must be a positive whole number, not ${JSON.stringify(raw)}`);
  return Number(raw);
}
const EXAMPLES = wholeFromEnv("CONFORMANCE_EXAMPLES", 2);
const SECONDS = wholeFromEnv("CONFORMANCE_SECONDS", 90);
const s = {};

before(async () => {
  s.origin = await startOrigin();
  s.idp = await startIdp();
  s.llm = await startLlmDouble();
  const o = s.origin.url;
  const ai = workersAiBinding({ logCalls: false });
  s.gw = await startGateway({
    ECHO_ORIGIN: o, POOL_A: o, POOL_B: o, POOL_C: o, SHADOW: o, IDP_ORIGIN: s.idp.url,
    LLM_OPENAI_URL: `${s.llm.url}/v1`, LLM_OPENAI_KEY: s.llm.openaiKey,
    LLM_ANTHROPIC_URL: s.llm.url, LLM_ANTHROPIC_KEY: s.llm.anthropicKey,
  }, { wrappedBindings: ai.wrappedBindings }, [ai.worker]);
  // The LLM routes' consumer: the gold plan may use every alias (routes/gateway.toml `ai`).
  s.llmKey = await putApiKey(s.gw, { id: "conformance", plan: "gold" });
});
after(async () => {
  await s.gw?.close();
  await s.origin?.close();
  await s.idp?.close();
  await s.llm?.close();
});

/** A token valid on the gateway's calendar with every scope the example routes ask for. */
function token() {
  const now = Math.floor(calendarNow(s.gw) / 1000);
  return s.idp.token({ ...claims({ scope: "comp:read data:read data:admin orders:read" }), iat: now, exp: now + 3600 });
}

/** Runs a command; resolves with its exit code and combined output. */
function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const env = {
      ...process.env, NO_COLOR: "1", SCHEMATHESIS_HOOKS: path.join(root, "tests/conformance/gateway_checks.py"),
      // The LLM operations' bearer API key (schemathesis.toml).
      GATEHOUSE_LLM_KEY: s.llmKey,
    };
    const child = spawn(cmd, args, { cwd: root, env });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

async function openapi(gw) {
  const res = await fetch(new URL("/openapi.json", gw.url));
  assert.equal(res.status, 200);
  return { doc: await res.json(), etag: res.headers.get("etag") };
}

test("an operation past its sunset is served retired: no operation, a deprecated x-gatehouse-retired member answering only 410", async () => {
  const { doc } = await openapi(s.gw);
  const item = doc.paths["/v1/reports/summary"];
  assert.equal(item.get, undefined);
  const retired = item["x-gatehouse-retired-get"];
  assert.equal(retired.deprecated, true);
  assert.deepEqual(Object.keys(retired.responses), ["410"]);
  assert.match(retired.description, /Retired on Wed, 30 Sep 2026 00:00:00 GMT/);
  // The rest of v1 (sunset 2030) is still live, deprecated.
  assert.equal(doc.paths["/v1/users/{id}"].get.deprecated, true);
  assert.ok(doc.paths["/v1/users/{id}"].get.responses["410"]);
});

test("before its sunset the same operation is live, and the document's ETag differs", async () => {
  const now = await openapi(s.gw);
  const earlier = await withGateway({ ECHO_ORIGIN: s.origin.url, ...clockAt("2026-09-29T00:00:00Z") }, openapi);
  const op = earlier.doc.paths["/v1/reports/summary"].get;
  assert.ok(op, "the operation is live before its sunset");
  assert.ok(op.responses["410"], "and says it answers 410 from its sunset on");
  assert.equal(earlier.doc.paths["/v1/reports/summary"]["x-gatehouse-retired-get"], undefined);
  assert.notEqual(earlier.etag, now.etag);
});

test("path parameters publish the pattern the gateway's path normalisation accepts", async () => {
  const { doc } = await openapi(s.gw);
  const param = doc.paths["/v1/users/{id}"].get.parameters.find((p) => p.name === "id");
  assert.equal(param.schema.type, "string");
  assert.equal(param.schema.minLength, 1);
  const re = new RegExp(param.schema.pattern);
  for (const ok of ["42", "a b", "café", "100%"]) assert.ok(re.test(ok), ok);
  for (const bad of ["..", "a/b", "a\\b", "\u0001", "\uff0e", "%2e", "..;x"]) assert.ok(!re.test(bad), bad);
});

test("Schemathesis finds no schema-valid request refused, no undocumented status and no gateway fault", { timeout: (SECONDS + 60) * 1000 }, async (t) => {
  const { code, out } = await run(SCHEMATHESIS, [
    "--config-file", path.join(root, "tests/conformance/schemathesis.toml"),
    "run", new URL("/openapi.json", s.gw.url).href,
    "--url", s.gw.url.href.replace(/\/$/, ""),
    "--checks", "not_a_server_error,status_code_conformance,gateway_accepts_valid_data",
    "--exclude-operation-id", "v1-book-list",
    "--exclude-operation-id", "v1-book-list-connect",
    "--exclude-operation-id", "catalog-list-books",
    "--exclude-operation-id", "v1-report",
    "--exclude-operation-id", "v1-catalog-wait",
    "--mode", "positive",
    "--phases", "fuzzing",
    "--max-examples", String(EXAMPLES),
    // The test IdP's token with every scope the example routes ask for, so JWT routes are
    // tried past their authentication too.
    "--header", `Authorization: Bearer ${token()}`,
    "--workers", "1",
    "--seed", "28",
    "--max-time", String(SECONDS),
    "--request-timeout", "10",
  ]);
  assert.equal(code, 0, `schemathesis failed:\n${out.slice(-20000)}`);
  // Every operation but the five left out was tried (a document that lost its operations, or
  // a run that tested none, fails here).
  const passed = Number(out.match(/(\d+) passed/)?.[1] ?? 0);
  assert.ok(passed >= 100, `only ${passed} operations passed:\n${out.slice(-5000)}`);
  t.diagnostic(`schemathesis: ${passed} operations passed (${EXAMPLES} cases each a pass, ${SECONDS} s)`);
  // The LLM operations reached their providers: each provider double was called, and the
  // runs sent streamed and whole chats (a run that only met 401s or 400s fails here).
  const calls = s.llm.requests;
  const paths = new Set(calls.map((r) => `${r.api} ${r.path}`));
  for (const want of ["openai /v1/chat/completions", "anthropic /v1/messages", "openai /v1/embeddings"]) {
    assert.ok(paths.has(want), `the provider double got ${want} (got: ${[...paths].join(", ")})`);
  }
  assert.ok(calls.some((r) => r.stream) && calls.some((r) => !r.stream && r.path !== "/v1/embeddings"), "streamed and whole chats");
  t.diagnostic(`schemathesis: ${calls.length} calls reached the LLM provider double`);
});

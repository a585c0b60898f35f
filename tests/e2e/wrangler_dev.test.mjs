// The gateway under `wrangler dev` (what `make dev` runs), not only under Miniflare directly:
// wrangler dev puts a proxy Worker in front, which fails - and holds the next request - when a
// Worker answers before it has consumed the request body (workers-sdk#15203). A body over a
// route's max_body must still get its 413 with nothing uncaught, and the next request must
// not wait on it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { startOrigin } from "../../scripts/demo-origin.mjs";
import { request, expectProblem, within, freePort, postChunked } from "./harness.mjs";

const root = path.resolve(import.meta.dirname, "../..");
const s = {};

before(async () => {
  s.origin = await startOrigin();
  // wrangler.toml without its [build] step: `make test` has built build/ already.
  const dir = path.join(root, ".wrangler/e2e");
  fs.mkdirSync(dir, { recursive: true });
  const config = fs.readFileSync(path.join(root, "wrangler.toml"), "utf8")
    .replace(/^\[build\]\ncommand = .*\n/m, "")
    .replace(/^main = .*$/m, `main = "${path.join(root, "build/index.js")}"`);
  fs.writeFileSync(path.join(dir, "wrangler.toml"), config);
  s.port = await freePort();
  const vars = ["ECHO_ORIGIN", "POOL_A", "POOL_B", "POOL_C", "SHADOW", "IDP_ORIGIN"].flatMap((v) => ["--var", `${v}:${s.origin.url}`]);
  s.output = "";
  s.wrangler = spawn(path.join(root, "node_modules/.bin/wrangler"), [
    "dev", "-c", path.join(dir, "wrangler.toml"), "--ip", "127.0.0.1", "--port", String(s.port),
    "--inspector-port", String(await freePort()), ...vars,
  ], { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"] });
  for (const out of [s.wrangler.stdout, s.wrangler.stderr]) out.on("data", (d) => (s.output += d));
  s.gw = { port: s.port };
  for (const end = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 100))) {
    if (s.wrangler.exitCode !== null) throw new Error(`wrangler dev exited: ${s.output}`);
    if (Date.now() > end) throw new Error(`wrangler dev did not answer in 60 s: ${s.output}`);
    try {
      if ((await request(s.gw, "GET", "/v1/live")).status === 200) break;
    } catch {}
  }
});

after(async () => {
  s.wrangler?.kill("SIGTERM");
  await s.origin?.close();
});


for (const [total, route] of [[200 * 1024, "/v1/upload-limited"], [3_000_000, "/v1/signups"], [5_000_000, "/v1/upload-limited"]]) {
  test(`under wrangler dev a chunked ${total}-byte POST to ${route} over max_body is 413 and the next request is answered at once`, async () => {
    const over = await postChunked(s.gw, route, total);
    expectProblem(assert, over, 413, "payload-too-large");
    for (let i = 0; i < 3; i++) {
      const next = await within(3000, request(s.gw, "GET", `/v1/users/${i}`), "the request after the 413");
      assert.equal(next.status, 200, next.text);
    }
    assert.doesNotMatch(s.output, /Uncaught|Error inside ProxyWorker/, "nothing uncaught in wrangler dev's output");
  });
}

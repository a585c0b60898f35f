// What src/entry.js relies on in the crates it wraps, checked on the built worker (the versions
// are pinned in Cargo.toml and named in entry.js's `verified:` lines; tests/pinned_runtime.rs
// checks those). An upgrade that changes any of this fails here, not in production:
//
// - Queue hiding: js-sys's future queue (src/futures/queue.rs) reads `queueMicrotask` once,
//   when it is made, and entry.js hides the global at that moment so polls are scheduled with
//   a resolved promise. A counting `queueMicrotask`, installed before the bundle loads, must
//   see no call from wasm while proxied requests await their origin.
// - Recovery: the bundle's wasm-bindgen glue exports `__wbg_reset_state`, worker's
//   `__worker_init_state` and our `startFutureQueue`; after a trap the next request answers
//   normally, through entry.js's reset (and with the queue still hidden).
//
// The test copies build/ into a temp dir and adds a small entry module in front of it; the
// production bundle is unchanged.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startGateway, request, within } from "./harness.mjs";
import { startOrigin } from "../../scripts/demo-origin.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const build = path.join(root, "build");

/**
 * Installs a counting `queueMicrotask` and a Headers constructor that can be made to fail
 * once. `sticky` keeps the counting function in place when entry.js tries to hide the global
 * (its assignment is ignored): the control, in which the wasm queue does use it.
 */
const instrument = (sticky) => `
const real = globalThis.queueMicrotask;
export const calls = { total: 0, fromWasm: 0 };
function countingQueueMicrotask(callback) {
  calls.total++;
  // A call made by wasm code (the glue's import shim) has wasm frames on its stack.
  if (/wasm-function|wasm:\\/\\//.test(new Error().stack)) calls.fromWasm++;
  return real.call(globalThis, callback);
}
${sticky
    ? `Object.defineProperty(globalThis, "queueMicrotask", { get: () => countingQueueMicrotask, set() {}, configurable: true });`
    : `globalThis.queueMicrotask = countingQueueMicrotask;`}

// The gateway answers an unknown path with a problem, whose headers it makes with
// \`new Headers()\` and \`.expect()\`: failing that constructor once makes the wasm panic
// (and, built with panic = abort, trap).
const RealHeaders = globalThis.Headers;
let armed = false;
class Headers extends RealHeaders {
  constructor(...args) {
    if (armed && args.length === 0) {
      armed = false;
      throw new TypeError("injected by tests/e2e/runtime_contract.test.mjs");
    }
    super(...args);
  }
  static [Symbol.hasInstance](value) {
    return value instanceof RealHeaders;
  }
}
globalThis.Headers = Headers;
export function armTrap() {
  armed = true;
}
`;

/** The entry module: answers /__contract/* itself, hands everything else to the gateway. */
const entry = (instrumentFile) => `
import { calls, armTrap } from "./${instrumentFile}";
import gateway, { RateLimiter, CacheGenerations } from "./index.js";
import module from "./index_bg.wasm";

export { RateLimiter, CacheGenerations };

export default {
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__contract/queue-calls") {
      // The control: one call of our own, which the counter must see.
      if (url.searchParams.has("call-once")) queueMicrotask(() => {});
      return Response.json(calls);
    }
    if (url.pathname === "/__contract/wasm-exports") {
      return Response.json(WebAssembly.Module.exports(module).map((e) => e.name));
    }
    if (url.pathname === "/__contract/arm-trap") {
      armTrap();
      return new Response("armed");
    }
    return gateway.fetch(request, env, ctx);
  },
};
`;

let dir;
let origin;

before(() => {
  assert.ok(
    fs.existsSync(path.join(build, "index.js")),
    "build/index.js is missing: run `bash scripts/build-worker.sh` first",
  );
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-contract-"));
  fs.cpSync(build, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "instrument.mjs"), instrument(false));
  fs.writeFileSync(path.join(dir, "instrument-sticky.mjs"), instrument(true));
  fs.writeFileSync(path.join(dir, "contract-entry.mjs"), entry("instrument.mjs"));
  fs.writeFileSync(path.join(dir, "contract-entry-sticky.mjs"), entry("instrument-sticky.mjs"));
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

before(async () => {
  origin = await startOrigin();
});

after(async () => {
  await origin?.close();
});

/** The gateway behind one of the entry modules written above. */
function startInstrumented(entryFile) {
  return startGateway(
    { ECHO_ORIGIN: origin.url },
    {
      rootPath: dir,
      modulesRoot: dir,
      scriptPath: path.join(dir, entryFile),
      // The bundle is imported, not the entry itself: say it is ESM too.
      modulesRules: [
        { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
        { type: "CompiledWasm", include: ["**/*.wasm"] },
      ],
    },
  );
}

async function queueCalls(gw, query = "") {
  const res = await request(gw, "GET", `/__contract/queue-calls${query}`);
  assert.equal(res.status, 200, res.text);
  return res.json();
}

/** Proxied requests that await their origin (several polls of the future queue each). */
async function proxySome(gw, n = 8) {
  for (let i = 0; i < n; i++) {
    const res = await request(gw, "GET", `/v2/users/${i}`);
    assert.equal(res.status, 200, res.text);
  }
  const before = origin.received.length;
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      request(gw, "GET", `/v2/users/p${i}`).then((r) => assert.equal(r.status, 200, r.text)),
    ),
  );
  assert.ok(origin.received.length >= before + n, "the requests reached the origin");
}

test("the build still has what entry.js calls: the wasm's exports and the glue's reset", async () => {
  // esbuild fails the build when entry.js names an export the glue lacks
  // (scripts/esbuild-entry.sh); here, the wasm itself and the glue's recovery machinery.
  const gw = await startInstrumented("contract-entry.mjs");
  try {
    const exports = (await request(gw, "GET", "/__contract/wasm-exports")).json();
    for (const name of ["__worker_init_state", "startFutureQueue", "gcPaceSlots", "fetch"]) {
      assert.ok(exports.includes(name), `index_bg.wasm exports ${name}`);
    }
  } finally {
    await gw.close();
  }
  const bundle = fs.readFileSync(path.join(build, "index.js"), "utf8");
  // The recovery state worker's src/init.rs shares with entry.js (the bundle is minified).
  assert.match(bundle, /globalThis\.__worker_init_state\s*=\s*\{\s*criticalError:\s*(false|!1),\s*instanceId:\s*0\s*\}/);
  // `__wbg_reset_state` instantiates the module again: two instantiations in the glue.
  assert.ok(bundle.split("new WebAssembly.Instance(").length - 1 >= 2, "the glue has a reset function");
  // And entry.js replaced worker-build's shim (scripts/build-worker.sh checks this too).
  assert.doesNotMatch(bundle, /WorkerEntrypoint/);
});

test("the wasm future queue never calls queueMicrotask: entry.js hides it when the queue is made", async () => {
  const gw = await startInstrumented("contract-entry.mjs");
  try {
    await proxySome(gw);
    const seen = await queueCalls(gw);
    assert.equal(seen.fromWasm, 0, `the wasm queue called queueMicrotask ${seen.fromWasm} times`);
    // The counter is live in this isolate: our own call is counted.
    const after = await queueCalls(gw, "?call-once");
    assert.equal(after.total, seen.total + 1, "the counting queueMicrotask sees a call");
    assert.equal(after.fromWasm, 0);
  } finally {
    await gw.close();
  }
});

test("control: when the global cannot be hidden, the same requests make the wasm queue call queueMicrotask", async () => {
  // Proves the counter can see the wasm queue's calls, so the 0 above is not vacuous.
  const gw = await startInstrumented("contract-entry-sticky.mjs");
  try {
    await proxySome(gw);
    const seen = await queueCalls(gw);
    assert.ok(seen.fromWasm >= 8, `expected the wasm queue to call queueMicrotask, counted ${JSON.stringify(seen)}`);
  } finally {
    await gw.close();
  }
});

test("after a wasm trap the next request answers normally, reset by entry.js, with the queue still hidden", async () => {
  const gw = await startInstrumented("contract-entry.mjs");
  try {
    await proxySome(gw, 2);
    assert.equal((await request(gw, "GET", "/__contract/arm-trap")).text, "armed");
    // An unknown path: the problem answer's `Headers::new().expect(..)` panics. The request
    // itself fails (500, or the runtime gives up on it): what it answers is not the point.
    const trapped = await within(10_000, request(gw, "GET", "/no-such-route").catch((e) => ({ status: `error: ${e.message}` })), "the trapped request");
    assert.notEqual(trapped.status, 404, "the injected fault made the wasm trap");
    const next = await request(gw, "GET", "/v2/users/after-trap");
    assert.equal(next.status, 200, next.text);
    assert.equal(origin.received.at(-1).url, "/v2/users/after-trap");
    assert.ok(
      gw.logs.some((l) => l.includes("Reinitializing Wasm application")),
      `entry.js reset the instance (logs: ${gw.logs.slice(-10).join(" | ")})`,
    );
    // Unknown paths answer their 404 again.
    assert.equal((await request(gw, "GET", "/no-such-route")).status, 404);
    // The reset instance has a new queue, made with queueMicrotask hidden too.
    await proxySome(gw, 4);
    assert.equal((await queueCalls(gw)).fromWasm, 0, "the queue of the reset instance calls queueMicrotask");
  } finally {
    await gw.close();
  }
});

// The worker's entry module, bundled by worker-build in place of its default shim
// (scripts/esbuild-entry.sh swaps it in). worker-build's shim constructs a WorkerEntrypoint and
// wraps it and its methods in Proxies on every request; measured on workerd that costs about
// 65 us of CPU per request (~15% of Gatehouse's total). This is a plain module worker that calls
// the wasm `fetch` export directly and keeps the shim's one duty that matters: after a wasm
// trap (a panic aborts), reset the instance before the next request.
//
// Durable Object classes are wrapped here too (see RateLimiter below): each call resets the
// instance after a trap and rebuilds the object's wasm side if the instance was reset.
//
// This file relies on internals of the crates below, verified against these exact versions
// (Cargo.toml pins them with `=`). tests/pinned_runtime.rs reads the `verified:` lines and
// fails when Cargo.toml or Cargo.lock moves one; tests/e2e/runtime_contract.test.mjs checks
// the behaviour on the built worker. Before changing a version here, re-read:
// verified: js-sys 0.3.107 - the future queue, src/futures/queue.rs: `Queue::new` reads
//   `globalThis.queueMicrotask` once and schedules every poll with it if it is a function,
//   else with `Promise.resolve().then` (startFutureQueue below hides it).
// verified: wasm-bindgen-futures 0.4.80 - only re-exports js-sys's futures (src/lib.rs), so
//   `spawn_local` in src/runtime/mod.rs (`start_future_queue`) starts that queue.
// verified: wasm-bindgen 0.2.130 - the CLI's glue (wasm-bindgen-cli-support src/js/mod.rs,
//   `generate_reinit_wrappers`): `__wbg_reset_state()` builds a new instance from the same
//   module and runs its start function. It is exported because worker-build 0.8.7
//   (src/main.rs) passes `--experimental-reset-state-function --force-enable-abort-handler`.
// verified: worker 0.8.7 - src/init.rs: `__worker_init_state()` returns the shared
//   `{ criticalError, instanceId }`; its panic hook sets `criticalError` (panic = abort), its
//   start function bumps `instanceId`. worker-build 0.8.7 (scripts/setup.sh installs the
//   `worker` version) bundles src/js/shim.js, which this file replaces: its
//   `checkReinitialize` and `handleMaybeCritical` are recoverIfNeeded and noteCritical below
//   (a panic = unwind build would get src/js/shim-unwind.js instead, a different contract).
import { DurableObject } from "cloudflare:workers";
import * as wasm from "./index.js";

const state = wasm.__worker_init_state();

/**
 * Starts the wasm instance's future queue (src/runtime/mod.rs `start_future_queue`; the queue
 * is js-sys 0.3.107's src/futures/queue.rs) while `queueMicrotask` is hidden: the queue reads
 * the global once, when it is made, and then schedules its polls with a resolved promise.
 * workerd's queueMicrotask costs more per call: on a cache hit, about 6% of the request's
 * CPU (BENCHMARKS.md). Both are microtasks, so the order in which futures run is the same.
 * A reset instance has a new queue: recoverIfNeeded calls this again.
 */
function startFutureQueue() {
  const queueMicrotask = globalThis.queueMicrotask;
  try {
    globalThis.queueMicrotask = undefined;
    wasm.startFutureQueue();
  } finally {
    globalThis.queueMicrotask = queueMicrotask;
  }
}

startFutureQueue();

function recoverIfNeeded() {
  if (state.criticalError) {
    console.log("Reinitializing Wasm application");
    wasm.__wbg_reset_state();
    state.criticalError = false;
    state.instanceId++;
    startFutureQueue();
  }
}

function noteCritical(error) {
  if (error instanceof WebAssembly.RuntimeError) {
    console.error("Critical", error);
    state.criticalError = true;
  }
}

addEventListener("error", (event) => noteCritical(event.error));

/**
 * GC pacing: every event (a request, a Durable Object call) allocates one short-lived array of
 * PACE_SLOTS slots (by default 4096, 16 KiB: V8 stores a slot in 4 bytes), so V8 collects the
 * young generation often and briefly. PACE_SLOTS is `[gateway] gc_pace_slots`
 * (docs/src/operations/gc-pacing.md), compiled into the wasm and read once here; 0 turns
 * pacing off.
 *
 * Why: a young-generation collection (scavenge) on workerd spends most of its pause on the
 * runtime's own handles for the requests, responses and headers made since the previous one,
 * so the pause grows with the number of requests in between. V8 starts a scavenge when its
 * young generation (about 33 MB on workerd) fills up. Gatehouse allocates little JS per request
 * (about 6 KB), so on its own it collected every ~6,000 requests and paused 20-25 ms, stalling
 * every request in flight: that was its p99. With the extra array it collects every ~1,300
 * requests in pauses of about 5 ms, for the same CPU per request. BENCHMARKS.md ("The latency
 * tail") has the GC traces and the figures.
 */
const PACE_SLOTS = wasm.gcPaceSlots();
let paced = null;

function pace() {
  if (PACE_SLOTS !== 0) paced = new Array(PACE_SLOTS);
}

export default {
  fetch(request, env, ctx) {
    recoverIfNeeded();
    pace();
    // A test-only var (never settable from a request): see responseCache in
    // src/runtime/platform.js.
    if (env.GATEHOUSE_TEST_CACHE_FAULT !== undefined && globalThis.gatehouseCacheFault === undefined) {
      globalThis.gatehouseCacheFault = env.GATEHOUSE_TEST_CACHE_FAULT;
      // Loud, once per isolate: set outside tests it turns the cache off.
      console.log(JSON.stringify({ level: "error", message: `GATEHOUSE_TEST_CACHE_FAULT is set (${env.GATEHOUSE_TEST_CACHE_FAULT}): the Cache API is made to fail. It is a test-only variable; remove it outside tests` }));
    }
    try {
      return wasm.fetch(request, env, ctx);
    } catch (error) {
      noteCritical(error);
      throw error;
    }
  },
};

/**
 * A Durable Object implemented in Rust: the wasm object is rebuilt if the instance was reset
 * after a trap since it was made, and every call notes a trap for the next reset.
 */
class WasmObject extends DurableObject {
  constructor(ctx, env, make) {
    super(ctx, env);
    this.build = make;
    this.make();
  }

  make() {
    recoverIfNeeded();
    this.inner = this.build(this.ctx, this.env);
    this.instanceId = state.instanceId;
  }

  async call(method, ...args) {
    recoverIfNeeded();
    pace();
    if (this.instanceId !== state.instanceId) this.make();
    try {
      return await this.inner[method](...args);
    } catch (error) {
      noteCritical(error);
      throw error;
    }
  }

  fetch(request) {
    return this.call("fetch", request);
  }
}

/** The RateLimiter Durable Object (src/durable/rate_limiter.rs). */
export class RateLimiter extends WasmObject {
  constructor(ctx, env) {
    super(ctx, env, (c, e) => new wasm.RateLimiter(c, e));
  }

  /** RPC from the gateway: a take request as JSON in, the answer as JSON out. */
  take(body) {
    return this.call("take", body);
  }

  /** RPC from the admin API: the object's state as JSON. */
  peek() {
    return this.call("peek");
  }

  /** RPC from the admin API: forget every count. */
  reset() {
    return this.call("reset");
  }

  alarm() {
    return this.call("alarm");
  }
}

/** The CacheGenerations Durable Object (src/durable/cache_generations.rs). */
export class CacheGenerations extends WasmObject {
  constructor(ctx, env) {
    super(ctx, env, (c, e) => new wasm.CacheGenerations(c, e));
  }

  /** RPC: increments one counter (`route:<id>` or `tag:<name>`); answers the counters. */
  bump(key) {
    return this.call("bump", key);
  }

  /** RPC: moves path counters (comma-separated `p:<hash>` keys); answers the counters. */
  invalidate(keys) {
    return this.call("invalidate", keys);
  }
}

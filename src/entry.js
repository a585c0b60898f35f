// The worker's entry module, bundled by worker-build in place of its default shim
// (scripts/esbuild-entry.sh swaps it in). worker-build's shim constructs a WorkerEntrypoint and
// wraps it and its methods in Proxies on every request; measured on workerd that costs about
// 65 us of CPU per request (~15% of Gatehouse's total). This is a plain module worker that calls
// the wasm `fetch` export directly and keeps the shim's one duty that matters: after a wasm
// trap (a panic aborts), reset the instance before the next request.
//
// Durable Object classes are wrapped here too (see RateLimiter below): each call resets the
// instance after a trap and rebuilds the object's wasm side if the instance was reset.
import { DurableObject } from "cloudflare:workers";
import * as wasm from "./index.js";

const state = wasm.__worker_init_state();

function recoverIfNeeded() {
  if (state.criticalError) {
    console.log("Reinitializing Wasm application");
    wasm.__wbg_reset_state();
    state.criticalError = false;
    state.instanceId++;
  }
}

function noteCritical(error) {
  if (error instanceof WebAssembly.RuntimeError) {
    console.error("Critical", error);
    state.criticalError = true;
  }
}

addEventListener("error", (event) => noteCritical(event.error));

export default {
  fetch(request, env, ctx) {
    recoverIfNeeded();
    try {
      return wasm.fetch(request, env, ctx);
    } catch (error) {
      noteCritical(error);
      throw error;
    }
  },
};

/**
 * The RateLimiter Durable Object (src/durable/rate_limiter.rs). The wasm object is rebuilt if
 * the instance was reset after a trap since it was made.
 */
export class RateLimiter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.make();
  }

  make() {
    recoverIfNeeded();
    this.inner = new wasm.RateLimiter(this.ctx, this.env);
    this.instanceId = state.instanceId;
  }

  current() {
    recoverIfNeeded();
    if (this.instanceId !== state.instanceId) this.make();
    return this.inner;
  }

  /** RPC from the gateway: a take request as JSON in, the answer as JSON out. */
  async take(body) {
    try {
      return await this.current().take(body);
    } catch (error) {
      noteCritical(error);
      throw error;
    }
  }

  async fetch(request) {
    try {
      return await this.current().fetch(request);
    } catch (error) {
      noteCritical(error);
      throw error;
    }
  }

  async alarm() {
    try {
      return await this.current().alarm();
    } catch (error) {
      noteCritical(error);
      throw error;
    }
  }
}

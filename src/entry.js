// The worker's entry module, bundled by worker-build in place of its default shim
// (scripts/esbuild-entry.sh swaps it in). worker-build's shim constructs a WorkerEntrypoint and
// wraps it and its methods in Proxies on every request; measured on workerd that costs about
// 65 us of CPU per request (~15% of Gatehouse's total). This is a plain module worker that calls
// the wasm `fetch` export directly and keeps the shim's one duty that matters: after a wasm
// trap (a panic aborts), reset the instance before the next request.
//
// A later Durable Object class must be re-exported here (`export { Name } from "./index.js"`).
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

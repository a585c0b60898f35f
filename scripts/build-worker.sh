#!/usr/bin/env bash
# Builds the worker bundle into build/ with worker-build, using the locally installed
# wasm-bindgen, esbuild and wasm-opt (worker-build would otherwise download them).
# wrangler's [build] command runs this, so `wrangler dev` and `wrangler deploy` build the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen)}"
# Our wrapper bundles src/entry.js instead of worker-build's per-request Proxy shim.
export ESBUILD_BIN="$PWD/scripts/esbuild-entry.sh"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
echo "[build] compiling the worker (cargo release build for wasm32 + wasm-bindgen + wasm-opt)" >&2
worker-build --release "$@"
if grep -q WorkerEntrypoint build/index.js; then
  echo "[build] error: build/index.js still has worker-build's default shim; src/entry.js was not bundled" >&2
  exit 1
fi

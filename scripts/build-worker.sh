#!/usr/bin/env bash
# Builds the worker bundle into build/ with worker-build, using the locally installed
# wasm-bindgen, esbuild and wasm-opt (worker-build would otherwise download them).
# wrangler's [build] command runs this, so `wrangler dev` and `wrangler deploy` build the same way.
#
# Skips the build when build/ already holds what it would write: build/.inputs records the
# fingerprint of every input (scripts/build-inputs.sh) and the sha256 of the bundle built from
# them; the skip needs both to match now, so a changed source, routes file, tool, argument or
# a build/ written by anything else builds again. `--status` only says which it would be
# (exit 0: up to date, 1: it would build).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen)}"
# Our wrapper bundles src/entry.js instead of worker-build's per-request Proxy shim.
export ESBUILD_BIN="$PWD/scripts/esbuild-entry.sh"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"

status_only=false
if [ "${1:-}" = "--status" ]; then status_only=true; shift; fi
stamp=build/.inputs
routes="${GATEHOUSE_ROUTES:-routes}"
inputs=$(bash scripts/build-inputs.sh "$@")
outputs() { cat build/index.js build/index_bg.wasm 2>/dev/null | sha256sum | cut -d' ' -f1; }
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs $(outputs)" ]; then
  echo "[build] build/ is up to date with the sources and $routes/ (scripts/build-inputs.sh); not rebuilding" >&2
  exit 0
fi
if $status_only; then
  echo "[build] build/ is out of date: the sources, $routes/, the tools or build/ changed since it was built" >&2
  exit 1
fi

echo "[build] compiling the worker with $routes/ (cargo release build for wasm32 + wasm-bindgen + wasm-opt)" >&2
rm -f "$stamp"
worker-build --release "$@"
if grep -q WorkerEntrypoint build/index.js; then
  echo "[build] error: build/index.js still has worker-build's default shim; src/entry.js was not bundled" >&2
  exit 1
fi
echo "$inputs $(outputs)" > "$stamp"

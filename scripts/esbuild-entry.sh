#!/usr/bin/env bash
# worker-build runs $ESBUILD_BIN to bundle its shim (`./shim.js`) into index.js. This wrapper
# bundles Gatehouse's own entry (src/entry.js, see why there) instead; every other argument
# passes through to the real esbuild unchanged.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
args=()
for arg in "$@"; do
  if [ "$arg" = "./shim.js" ]; then
    cp "$root/src/entry.js" ./gatehouse-entry.js
    # One key per module in the glue's imports object (see the script for why it repeats).
    node "$root/scripts/dedupe-glue-imports.mjs" ./index.js
    # entry.js calls the glue's exports (`__worker_init_state`, `__wbg_reset_state`,
    # `startFutureQueue`, `gcPaceSlots`, ...): one that is gone after an upgrade fails the
    # build here instead of being `undefined` at run time (esbuild only warns by default).
    # A repeated key in the glue (dedupe-glue-imports.mjs no longer matching its shape) fails
    # the build too, rather than coming back as warnings.
    args+=("./gatehouse-entry.js" "--log-override:import-is-undefined=error" "--log-override:duplicate-object-key=error")
  else
    args+=("$arg")
  fi
done
status=0
"$root/node_modules/.bin/esbuild" "${args[@]}" || status=$?
rm -f ./gatehouse-entry.js
exit $status

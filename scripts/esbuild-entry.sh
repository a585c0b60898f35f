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
    args+=("./gatehouse-entry.js")
  else
    args+=("$arg")
  fi
done
status=0
"$root/node_modules/.bin/esbuild" "${args[@]}" || status=$?
rm -f ./gatehouse-entry.js
exit $status

#!/usr/bin/env bash
# `wrangler deploy --dry-run --outdir dist`: builds exactly what `wrangler deploy` would upload,
# then prints the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
WRANGLER_SEND_METRICS=false node_modules/.bin/wrangler deploy --dry-run --env="" --outdir dist
wasm=$(ls dist/*.wasm)
printf '\n[bundle] %-28s %8s bytes raw, %8s bytes gzip\n' "wasm" "$(stat -c %s "$wasm")" "$(gzip -9c "$wasm" | wc -c)"
printf '[bundle] %-28s %8s bytes raw, %8s bytes gzip\n' "index.js" "$(stat -c %s dist/index.js)" "$(gzip -9c dist/index.js | wc -c)"

#!/usr/bin/env bash
# Starts the demo origin on 127.0.0.1:9001 and the gateway (`wrangler dev`) on 127.0.0.1:8787
# with the example routes in routes/. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
ORIGIN_PORT="${ORIGIN_PORT:-9001}"
GATEWAY_PORT="${GATEWAY_PORT:-8787}"

echo "[dev] starting the demo origin on http://127.0.0.1:$ORIGIN_PORT"
node scripts/demo-origin.mjs "$ORIGIN_PORT" &
origin_pid=$!
trap 'kill $origin_pid 2>/dev/null || true' EXIT

echo "[dev] starting the gateway with wrangler dev on http://127.0.0.1:$GATEWAY_PORT (first build takes a minute)"
echo "[dev] try: curl -i http://127.0.0.1:$GATEWAY_PORT/v1/users/42"
WRANGLER_SEND_METRICS=false node_modules/.bin/wrangler dev \
  --ip 127.0.0.1 --port "$GATEWAY_PORT" \
  --var "ECHO_ORIGIN:http://127.0.0.1:$ORIGIN_PORT" \
  "$@"

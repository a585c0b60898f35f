#!/usr/bin/env bash
# Starts the demo origin on 127.0.0.1:9001, the test identity provider on 127.0.0.1:9002 and
# the gateway (`wrangler dev`) on 127.0.0.1:8787 with the example routes in routes/. Ctrl-C
# stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
ORIGIN_PORT="${ORIGIN_PORT:-9001}"
GATEWAY_PORT="${GATEWAY_PORT:-8787}"
IDP_PORT="${IDP_PORT:-9002}"

if [ ! -f .dev.vars ] || ! grep -q '^JWT_SECRET=' .dev.vars; then
  echo "[dev] writing a random JWT_SECRET to .dev.vars (git-ignored; local only)"
  echo "JWT_SECRET=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')" >> .dev.vars
fi
if ! grep -q '^ADMIN_TOKEN=' .dev.vars; then
  echo "[dev] writing a random ADMIN_TOKEN (cache purges) to .dev.vars"
  echo "ADMIN_TOKEN=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')" >> .dev.vars
fi

echo "[dev] starting the demo origin on http://127.0.0.1:$ORIGIN_PORT"
node scripts/demo-origin.mjs "$ORIGIN_PORT" &
origin_pid=$!
echo "[dev] starting the test identity provider on http://127.0.0.1:$IDP_PORT"
node scripts/test-idp.mjs "$IDP_PORT" &
idp_pid=$!
trap 'kill $origin_pid $idp_pid 2>/dev/null || true' EXIT

echo "[dev] starting the gateway with wrangler dev on http://127.0.0.1:$GATEWAY_PORT (first build takes a minute)"
echo "[dev] try: curl -i http://127.0.0.1:$GATEWAY_PORT/v1/users/42"
echo "[dev]      curl -i -H \"Authorization: Bearer \$(curl -s 127.0.0.1:$IDP_PORT/token)\" http://127.0.0.1:$GATEWAY_PORT/v1/me"
# CLOUDFLARE_CF_FETCH_ENABLED=false: Miniflare gives requests its built-in placeholder
# `Request.cf` instead of downloading one from workers.cloudflare.com at every start (offline,
# that failed with an ENOTFOUND stack trace and used the same placeholder). Set it to true to
# fetch the real one. wrangler 4.86 still runs the [build] command twice at start ("The file
# src changed, restarting build": workers-sdk#7934); the second finds build/ up to date.
WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED="${CLOUDFLARE_CF_FETCH_ENABLED:-false}" node_modules/.bin/wrangler dev \
  --ip 127.0.0.1 --port "$GATEWAY_PORT" \
  --var "ECHO_ORIGIN:http://127.0.0.1:$ORIGIN_PORT" \
  --var "POOL_A:http://127.0.0.1:$ORIGIN_PORT" \
  --var "POOL_B:http://127.0.0.1:$ORIGIN_PORT" \
  --var "POOL_C:http://127.0.0.1:$ORIGIN_PORT" \
  --var "SHADOW:http://127.0.0.1:$ORIGIN_PORT" \
  --var "IDP_ORIGIN:http://127.0.0.1:$IDP_PORT" \
  "$@"

#!/usr/bin/env bash
# Starts the demo origin on 127.0.0.1:9001, the test identity provider on 127.0.0.1:9002, the
# LLM provider double on 127.0.0.1:9004 (OpenAI's and Anthropic's APIs) and the gateway
# (`wrangler dev`) on 127.0.0.1:8787 with the example routes in routes/. Ctrl-C stops all four.
set -euo pipefail
cd "$(dirname "$0")/.."
ORIGIN_PORT="${ORIGIN_PORT:-9001}"
GATEWAY_PORT="${GATEWAY_PORT:-8787}"
IDP_PORT="${IDP_PORT:-9002}"
LLM_PORT="${LLM_PORT:-9004}"

random_secret() { node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))'; }
# The last value of NAME in .dev.vars.
dev_var() { sed -n "s/^$1=//p" .dev.vars | tail -n 1; }

if [ ! -f .dev.vars ] || ! grep -q '^JWT_SECRET=' .dev.vars; then
  echo "[dev] writing a random JWT_SECRET to .dev.vars (git-ignored; local only)"
  echo "JWT_SECRET=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')" >> .dev.vars
fi
if ! grep -q '^ADMIN_TOKEN=' .dev.vars; then
  echo "[dev] writing a random ADMIN_TOKEN (cache purges) to .dev.vars"
  echo "ADMIN_TOKEN=$(random_secret)" >> .dev.vars
fi
# The provider keys the gateway sends the LLM double (secrets in a deployment: `wrangler secret
# put LLM_OPENAI_KEY`); the double accepts exactly these.
for name in LLM_OPENAI_KEY LLM_ANTHROPIC_KEY; do
  if ! grep -q "^$name=" .dev.vars; then
    echo "[dev] writing a random $name (the LLM double's provider key) to .dev.vars"
    echo "$name=$(random_secret)" >> .dev.vars
  fi
done

# A demo API key (consumer "demo", plan gold) in the local API_KEYS namespace for the LLM routes
# (`ai-key`: Authorization: Bearer). Kept in .wrangler/ (git-ignored, beside the local KV state
# it belongs to) and made again when that state no longer holds it.
demo_key_file=.wrangler/dev-demo-key
demo_key=$(cat "$demo_key_file" 2>/dev/null || true)
demo_hash=$(printf '%s' "$demo_key" | sha256sum | cut -c1-12)
if [ -z "$demo_key" ] || ! node scripts/keys.mjs list | grep -q "^sha256:$demo_hash\.\.\. *consumer=demo "; then
  echo "[dev] creating a demo API key (consumer demo, plan gold) in the local API_KEYS namespace"
  created=$(CONSUMER=demo NAME="make dev demo" PLAN=gold SCOPES= EXPIRES= REMOTE= ENV= node scripts/keys.mjs create)
  demo_key=$(printf '%s\n' "$created" | tail -n 1)
  mkdir -p .wrangler
  (umask 077 && printf '%s\n' "$demo_key" > "$demo_key_file")
fi

echo "[dev] starting the demo origin on http://127.0.0.1:$ORIGIN_PORT"
node scripts/demo-origin.mjs "$ORIGIN_PORT" &
origin_pid=$!
echo "[dev] starting the test identity provider on http://127.0.0.1:$IDP_PORT"
node scripts/test-idp.mjs "$IDP_PORT" &
idp_pid=$!
echo "[dev] starting the LLM provider double on http://127.0.0.1:$LLM_PORT"
LLM_OPENAI_KEY="$(dev_var LLM_OPENAI_KEY)" LLM_ANTHROPIC_KEY="$(dev_var LLM_ANTHROPIC_KEY)" \
  node scripts/llm-double.mjs "$LLM_PORT" &
llm_pid=$!
trap 'kill $origin_pid $idp_pid $llm_pid 2>/dev/null || true' EXIT

echo "[dev] starting the gateway with wrangler dev on http://127.0.0.1:$GATEWAY_PORT (first build takes a minute)"
echo "[dev] try: curl -i http://127.0.0.1:$GATEWAY_PORT/v1/users/42"
echo "[dev]      curl -i -H \"Authorization: Bearer \$(curl -s 127.0.0.1:$IDP_PORT/token)\" http://127.0.0.1:$GATEWAY_PORT/v1/me"
echo "[dev]      curl -N http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions -H 'Authorization: Bearer $demo_key' \\"
echo "[dev]        -H 'content-type: application/json' -d '{\"model\":\"fast\",\"stream\":true,\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}'"
echo "[dev]      (model \"edge\", Workers AI, needs the AI binding: deployed environments only)"
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
  --var "LLM_OPENAI_URL:http://127.0.0.1:$LLM_PORT/v1" \
  --var "LLM_ANTHROPIC_URL:http://127.0.0.1:$LLM_PORT" \
  "$@"

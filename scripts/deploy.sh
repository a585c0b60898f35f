#!/usr/bin/env bash
# `make deploy ENV=staging|production [DRY_RUN=1]`: `wrangler deploy --env $ENV`, which builds
# with scripts/build-worker.sh ([build] in wrangler.toml) and uploads. The environments are the
# [env.X] tables of wrangler.toml; anything else is refused before wrangler runs. DRY_RUN=1
# builds and checks exactly what would be uploaded (`--dry-run --outdir dist`) without uploading.
# Authentication: `npx wrangler login`, or CLOUDFLARE_API_TOKEN (+ CLOUDFLARE_ACCOUNT_ID) in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t envs < <(sed -nE 's/^\[\[?env\.([A-Za-z0-9_-]+)[].].*/\1/p' wrangler.toml | awk '!seen[$0]++')
known="${envs[*]}"
env="${ENV:-}"
if [ -z "$env" ]; then
  echo "[deploy] error: say which environment: make deploy ENV=<${known// /|}>" >&2
  exit 2
fi
if [[ " $known " != *" $env "* ]]; then
  echo "[deploy] error: ENV=$env is not an environment in wrangler.toml (there: ${known// /, })" >&2
  exit 2
fi

args=(deploy --env "$env")
if [ "${DRY_RUN:-}" = "1" ]; then
  rm -rf dist
  args+=(--dry-run --outdir dist)
else
  # A real deploy with the placeholder KV id would fail at Cloudflare's API, less clearly.
  placeholder=$(awk -v t="env.$env.kv_namespaces" '
    /^\[/ { table = $0; gsub(/[][ ]/, "", table) }
    table == t && /^binding *=/ { binding = $3; gsub(/"/, "", binding) }
    table == t && /^id *= *"0+"/ { print binding }' wrangler.toml)
  if [ -n "$placeholder" ]; then
    echo "[deploy] error: env.$env's KV namespace $placeholder still has the placeholder id in wrangler.toml." >&2
    echo "[deploy]        Create it with: npx wrangler kv namespace create $placeholder --env $env" >&2
    echo "[deploy]        and put the id it prints in [[env.$env.kv_namespaces]]." >&2
    exit 2
  fi
fi
echo "[deploy] running: npx wrangler ${args[*]}"
WRANGLER_SEND_METRICS=false exec node_modules/.bin/wrangler "${args[@]}"

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
fi
echo "[deploy] running: npx wrangler ${args[*]}"
WRANGLER_SEND_METRICS=false exec node_modules/.bin/wrangler "${args[@]}"

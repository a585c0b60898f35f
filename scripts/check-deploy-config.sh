#!/usr/bin/env bash
# `wrangler deploy --dry-run` for the top level of wrangler.toml and for every [env.X] in it, so
# a broken binding fails here instead of in a deploy. Fails (exit 1, naming the environment)
# when a dry run fails (e.g. a Durable Object class the worker does not export, a malformed
# binding) or when wrangler warns that an environment lacks a binding or a var the top level
# has: wrangler inherits neither into environments and only warns, and the gateway would find
# it missing at run time.
#
# Usage: scripts/check-deploy-config.sh [-c path/to/wrangler.toml] [ENV...]
# (default: wrangler.toml, the top level and every environment; given ENVs: the top level and those)
# Each dry run runs the config's [build] command; scripts/build-worker.sh skips the wasm build
# when build/ is up to date, so after one build the checks take seconds each.
set -euo pipefail
cd "$(dirname "$0")/.."
config=wrangler.toml
if [ "${1:-}" = "-c" ]; then
  [ -n "${2:-}" ] || { echo "usage: $0 [-c path/to/wrangler.toml] [ENV...]" >&2; exit 2; }
  config="$2"; shift 2
fi
if [ ! -f "$config" ]; then echo "[deploy-check] error: no such file: $config" >&2; exit 2; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The environments are the [env.NAME] tables (and their sub-tables) of the config.
mapfile -t envs < <(sed -nE 's/^\[\[?env\.([A-Za-z0-9_-]+)[].].*/\1/p' "$config" | awk '!seen[$0]++')
if [ $# -gt 0 ]; then
  for env in "$@"; do
    if [[ " ${envs[*]} " != *" $env "* ]]; then
      echo "[deploy-check] error: $config has no [env.$env] (there: ${envs[*]})" >&2; exit 2
    fi
  done
  envs=("$@")
fi

failed=0
for env in "" "${envs[@]}"; do
  label="${env:-top level}"
  out="$tmp/out-${env:-top}.txt"
  if ! WRANGLER_SEND_METRICS=false node_modules/.bin/wrangler deploy --dry-run --env="$env" \
      -c "$config" --outdir "$tmp/dist-${env:-top}" >"$out" 2>&1; then
    echo "FAIL: $label: wrangler deploy --dry-run --env=\"$env\" failed:" >&2
    sed -e 's/\x1b\[[0-9;]*m//g' "$out" | grep -vE '^\s*$|^\[custom build\]|Logs were written' | tail -15 >&2
    failed=1; continue
  fi
  if grep -q 'not inherited by environments' "$out"; then
    echo "FAIL: $label: wrangler warns that env.$env lacks what the top level has:" >&2
    # wrangler's warning block, without its colour codes and blank lines.
    sed -e 's/\x1b\[[0-9;]*m//g' "$out" | awk '/WARNING/ { on = 1 } /^\[custom build\]|^Total Upload/ { on = 0 } on && NF' >&2
    failed=1; continue
  fi
  echo "ok: $label: wrangler deploy --dry-run --env=\"$env\""
done
exit $failed

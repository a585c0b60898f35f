#!/usr/bin/env bash
# `wrangler deploy --dry-run` for the top level of wrangler.toml and for every [env.X] in it, so
# a broken binding fails here instead of in a deploy. Fails (exit 1, naming the environment)
# when a dry run fails (e.g. a Durable Object class the worker does not export, a malformed
# binding), when wrangler warns that an environment lacks a kind of binding the top level has
# (wrangler does not inherit bindings, and only warns), or when an environment lacks a binding
# or var name the top level has (the gateway would find it missing at run time).
#
# Usage: scripts/check-deploy-config.sh [-c path/to/wrangler.toml]   (default: wrangler.toml)
# Each dry run runs the config's [build] command; scripts/build-worker.sh skips the wasm build
# when build/ is up to date, so after one build the checks take seconds each.
set -euo pipefail
cd "$(dirname "$0")/.."
config=wrangler.toml
if [ "${1:-}" = "-c" ] && [ -n "${2:-}" ]; then config="$2"; elif [ $# -gt 0 ]; then
  echo "usage: $0 [-c path/to/wrangler.toml]" >&2; exit 2
fi
if [ ! -f "$config" ]; then echo "[deploy-check] error: no such file: $config" >&2; exit 2; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The environments are the [env.NAME] tables (and their sub-tables) of the config.
mapfile -t envs < <(sed -nE 's/^\[\[?env\.([A-Za-z0-9_-]+)[].].*/\1/p' "$config" | awk '!seen[$0]++')

# `env.NAME (...)   Kind` rows of wrangler's bindings table, as "NAME<TAB>Kind".
bindings() { sed -nE 's/^env\.([A-Za-z0-9_]+) .*[[:space:]]{2,}([A-Z][A-Za-z ]*[a-z])[[:space:]]*$/\1\t\2/p' "$1" | sort -u; }

failed=0
for env in "" "${envs[@]}"; do
  label="${env:-top level}"
  out="$tmp/out-${env:-top}.txt"
  if ! WRANGLER_SEND_METRICS=false node_modules/.bin/wrangler deploy --dry-run --env="$env" \
      -c "$config" --outdir "$tmp/dist-${env:-top}" >"$out" 2>&1; then
    echo "FAIL: $label: wrangler deploy --dry-run --env=\"$env\" failed:" >&2
    grep -vE '^\s*$|^\[custom build\]|Logs were written' "$out" | tail -15 >&2
    failed=1; continue
  fi
  if grep -q 'is not inherited by environments' "$out"; then
    echo "FAIL: $label: wrangler says a binding kind is missing from env.$env:" >&2
    grep -E 'exists at the top level, but not on' "$out" | sed 's/^[^"]*/  /' >&2
    failed=1; continue
  fi
  bindings "$out" > "$tmp/bindings-${env:-top}"
  if [ ! -s "$tmp/bindings-${env:-top}" ]; then
    echo "FAIL: $label: no bindings table in wrangler's output (its format changed?)" >&2
    failed=1; continue
  fi
  if [ -n "$env" ]; then
    missing=$(comm -23 <(cut -f1 "$tmp/bindings-top" | sort -u) <(cut -f1 "$tmp/bindings-$env" | sort -u))
    if [ -n "$missing" ]; then
      echo "FAIL: $label: env.$env lacks what the top level binds: $(echo $missing)" >&2
      failed=1; continue
    fi
  fi
  echo "ok: $label: wrangler deploy --dry-run --env=\"$env\" ($(wc -l < "$tmp/bindings-${env:-top}") bindings and vars)"
done
exit $failed

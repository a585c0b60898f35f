#!/usr/bin/env bash
# `make bench`: installs wrk and nginx-light if missing, then runs bench/run.mjs (which builds
# release artifacts and runs every scenario against every system). See BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[bench] installing ${missing[*]} (Debian packages)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y "${missing[@]}" || { $sudo apt-get update && $sudo apt-get install -y "${missing[@]}"; }
fi
export PATH="$PATH:/usr/sbin"
echo "[bench] running: every scenario against every system, alternating (about 15 minutes)"
node bench/run.mjs "$@"

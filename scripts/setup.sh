#!/usr/bin/env bash
# Installs everything Gatehouse needs to build and test, skipping what is already there.
# Safe to run repeatedly; `make dev`, `make test` and `make bundle` call it first.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown rust target"
  rustup target add wasm32-unknown-unknown
fi

if [ ! -f Cargo.lock ] || ! cargo metadata --offline --format-version 1 >/dev/null 2>&1; then
  say "fetching crates (cargo fetch)"
  cargo fetch
fi

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version (one-time compile, ~10 minutes on 2 cores)"
  # --locked fails for 0.2.130 (a lock entry missing from the index): install unlocked.
  cargo install wasm-bindgen-cli --version "$wb_version" --force
fi

wkb_version=$(awk '/^name = "worker"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(worker-build --version 2>/dev/null | awk '{print $NF}')" != "$wkb_version" ]; then
  say "installing worker-build $wkb_version (one-time compile, ~2 minutes)"
  cargo install worker-build --version "$wkb_version" --force
fi

# mdBook builds the book in docs/ (`make docs`, a step of `make test`).
mdbook_version=0.5.4
if [ "$(mdbook --version 2>/dev/null)" != "mdbook v$mdbook_version" ]; then
  say "installing mdbook $mdbook_version (one-time compile, ~4.5 minutes of CPU)"
  cargo install mdbook --version "$mdbook_version" --locked --no-default-features --features search
fi

# A node_modules that is a symlink (a git worktree sharing another checkout's packages) is
# left alone: `npm ci` through it would empty the other checkout's packages.
if [ -L node_modules ]; then
  say "node_modules is a symlink to $(readlink node_modules): not reinstalling npm packages here"
elif [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (wrangler, miniflare, esbuild, binaryen) pinned for Node 20"
  npm ci --no-audit --no-fund
fi
# The browser tests (tests/e2e/browser.test.mjs) drive Debian's Chromium with playwright-core.
if ! command -v chromium >/dev/null 2>&1; then
  say "installing Debian's chromium for the browser tests (apt-get, a few minutes once)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y chromium || { $sudo apt-get update && $sudo apt-get install -y chromium; }
fi
# The property-based API tester of tests/conformance/ (scripts/test.sh step 6), pinned, in a
# project-local virtualenv (.venv-tools/, not in git).
SCHEMATHESIS_VERSION=4.32.5
if [ "$(.venv-tools/bin/schemathesis --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into .venv-tools/ (python3 -m venv + pip)"
  python3 -m venv .venv-tools
  .venv-tools/bin/pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi
say "toolchain ready"

#!/usr/bin/env bash
# Prints one sha256 over everything that decides what scripts/build-worker.sh writes to build/:
# the Rust sources (src/, crates/, build.rs, Cargo.toml, Cargo.lock, .cargo/), the routes it
# compiles in (the contents of $GATEHOUSE_ROUTES, or routes/), the build scripts, the pinned
# npm tools (package-lock.json), the versions of rustc, wasm-bindgen, worker-build and
# wasm-opt, the environment variables cargo and worker-build read, and the arguments given
# (passed on to worker-build). build-worker.sh skips its work when this and build/'s own hash
# match what it recorded after its last build.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
routes="${GATEHOUSE_ROUTES:-routes}"
if [ ! -d "$routes" ]; then
  echo "[build] error: the routes directory $routes does not exist (GATEHOUSE_ROUTES)" >&2
  exit 1
fi

# Each file as "<sha256>  <path>"; the routes directory's files by their path inside it, so two
# directories with the same contents build the same bundle.
files() {
  find -L src crates build.rs Cargo.toml Cargo.lock .cargo package-lock.json \
    scripts/build-worker.sh scripts/build-inputs.sh scripts/esbuild-entry.sh \
    scripts/dedupe-glue-imports.mjs -type f -print0 | sort -z | xargs -0 sha256sum
  (cd "$routes" && find -L . -type f -print0 | sort -z | xargs -0 -r sha256sum | sed 's|  \./|  routes/|')
}

{
  files
  rustc -vV
  "${WASM_BINDGEN_BIN:-wasm-bindgen}" --version
  worker-build --version
  "${WASM_OPT_BIN:-node_modules/.bin/wasm-opt}" --version
  env | grep -E '^(RUSTFLAGS|CARGO_ENCODED_RUSTFLAGS|CARGO_PROFILE_|CARGO_BUILD_|RUSTC|NO_MINIFY|CUSTOM_SHIM|COREDUMP|RUN_TO_COMPLETION)' | sort || true
  printf 'args:'; printf ' %q' "$@"; echo
} | sha256sum | cut -d' ' -f1

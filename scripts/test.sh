#!/usr/bin/env bash
# Runs every test layer. Called by `make test` (and so by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
step() { printf '\n\033[1m[test] %s\033[0m\n' "$*"; }

step "1/7 native: cargo test --workspace (config checker and schemas, routing, normalisation, headers, trace, problems)"
cargo test --workspace

step "2/7 wasm32: cargo test --target wasm32-unknown-unknown --test wasm (wasm-bindgen-test in Node)"
cargo test --target wasm32-unknown-unknown --test wasm

step "3/7 a broken routes/ directory fails cargo build with file, route and rule"
bash scripts/check-broken-config.sh

step "4/7 the book: mdbook build docs, its internal links, the link checker's own tests (seconds)"
bash scripts/docs.sh
node --test tests/docs/

step "5/7 building the worker bundle (release wasm, ~1-2 minutes)"
bash scripts/build-worker.sh

step "6/7 end-to-end: the built worker in Miniflare against origins on 127.0.0.1 (tests/e2e/deploy.test.mjs runs wrangler deploy --dry-run for the top level and each [env.X])"
node --test --test-concurrency=1 tests/e2e/

step "7/7 OpenAPI conformance: Schemathesis (property-based) sends schema-valid requests for every operation of /openapi.json to the built worker; none may be refused, get an undocumented status or a gateway 5xx (90 s; make conformance searches wider)"
node --test --test-concurrency=1 tests/conformance/

step "all test layers passed"

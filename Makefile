# Gatehouse developer commands. Each target installs what is missing first (scripts/setup.sh).
.PHONY: dev test conformance docs check routes fuzz bench bench-ai1 soak bundle build deploy setup fmt lint clean key-create key-revoke key-list import

export WRANGLER_SEND_METRICS := false

## make dev: demo origin on 127.0.0.1:9001 + `wrangler dev` on 127.0.0.1:8787 with routes/
dev: setup
	bash scripts/dev.sh

## make test: every test layer (native, wasm-bindgen in Node, end-to-end in Miniflare)
test: setup
	bash scripts/test.sh

## make conformance [CONFORMANCE_EXAMPLES=10] [CONFORMANCE_SECONDS=600]: Schemathesis against
## the built worker (tests/conformance/) with a wider search than make test's (2 cases per
## operation a pass, 90 s); builds the worker first
CONFORMANCE_EXAMPLES ?= 10
CONFORMANCE_SECONDS ?= 600
conformance: setup
	bash scripts/build-worker.sh
	CONFORMANCE_EXAMPLES=$(CONFORMANCE_EXAMPLES) CONFORMANCE_SECONDS=$(CONFORMANCE_SECONDS) \
		node --test --test-concurrency=1 tests/conformance/

## make docs: the book (docs/src, mdBook) built into docs/book, then its internal links checked
docs: setup
	bash scripts/docs.sh

## make check [ROUTES=dir]: check routes/ without a wasm build (seconds once compiled); exit 1
## with every problem at its file:line:column. Needs only cargo (for CI and pre-commit hooks).
ROUTES ?= routes
check:
	@cargo run --quiet -p gatehouse-config --bin gatehouse -- check $(ROUTES)

## make routes [ROUTES=dir]: the compiled route table (methods, host, path, version, policies
## in order, upstream and targets)
routes:
	@cargo run --quiet -p gatehouse-config --bin gatehouse -- routes $(ROUTES)

## make fuzz [FUZZ_FACTOR=50]: the property tests with FUZZ_FACTOR times their cases (about 25
## minutes at 50); a failure's seed lands in proptest-regressions/ (commit it). Then the
## exhaustive properties `make test` samples (#[ignore]d there): every example key dropped in
## turn (tests/config_schema.rs, about a minute). Cargo only.
FUZZ_FACTOR ?= 50
fuzz:
	FUZZ_FACTOR=$(FUZZ_FACTOR) cargo test --test path_properties --test jose_header \
		--test properties_checker --test properties_http --test properties_jwt \
		--test properties_pointer --test properties_templates --test properties_validation
	cargo test --test config_schema -- --ignored

## make bench: gatehouse vs origin, js-minimal, hono and nginx on workerd/loopback (BENCHMARKS.md)
bench: setup
	bash scripts/bench.sh

## make bench-ai1: a 200-chunk streamed completion through gatehouse vs the provider double
## directly and a pass-through worker: added TTFB and CPU per chunk (BENCHMARKS.md, "AI1")
bench-ai1: setup
	node bench/ai1.mjs

## make soak: mixed traffic over the example routes on workerd, memory and latency over time
## (SOAK_MINUTES=10 by default; RELIABILITY.md)
soak: setup
	@echo "[soak] building the example routes and running $${SOAK_MINUTES:-10} minutes of mixed traffic"
	node bench/soak.mjs

## make bundle: `wrangler deploy --dry-run --outdir dist`, then the bundle and gzip sizes
bundle: setup
	bash scripts/bundle.sh

## make build: the worker bundle in build/ (what wrangler runs as its [build] command)
build: setup
	bash scripts/build-worker.sh

## make deploy ENV=staging|production [DRY_RUN=1]: `wrangler deploy --env $(ENV)` (builds first);
## DRY_RUN=1 builds and checks what would be uploaded (into dist/) without uploading
deploy: setup
	@ENV="$(ENV)" DRY_RUN="$(DRY_RUN)" bash scripts/deploy.sh

## make key-create CONSUMER=acme PLAN=gold SCOPES=data:read [NAME=..] [EXPIRES=2027-01-01T00:00:00Z] [REMOTE=1]
## prints a new API key once and stores sha256(key) -> record in KV (local unless REMOTE=1)
key-create: setup
	@node scripts/keys.mjs create

## make key-revoke KEY=gh_... (or CONSUMER=acme for all of its keys) [REMOTE=1]
key-revoke: setup
	@node scripts/keys.mjs revoke

## make key-list [REMOTE=1]
key-list: setup
	@node scripts/keys.mjs list

## make import OPENAPI=api.yaml [OUT=routes-imported] [API_VERSION=v2] [FORCE=1]
## routes/ files from an OpenAPI 3.0/3.1 document (JSON or YAML); lists what it does not map
import: setup
	@test -n "$(OPENAPI)" || { echo "usage: make import OPENAPI=api.yaml [OUT=routes-imported] [API_VERSION=v2] [FORCE=1]" >&2; exit 2; }
	@node scripts/import-openapi.mjs "$(OPENAPI)" --out "$(or $(OUT),routes-imported)" $(if $(API_VERSION),--version "$(API_VERSION)") $(if $(filter 1,$(FORCE)),--force)

setup:
	@bash scripts/setup.sh

fmt:
	cargo fmt

lint:
	cargo fmt --check
	cargo clippy --target wasm32-unknown-unknown --lib --tests -- -D warnings
	cargo clippy --tests --benches -- -D warnings

clean:
	rm -rf build dist target .wrangler

#!/usr/bin/env bash
# Builds the book (docs/src -> docs/book) and checks that its internal links resolve.
# Called by `make docs` and by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
mdbook build docs
node scripts/check-book-links.mjs docs/book

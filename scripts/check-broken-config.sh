#!/usr/bin/env bash
# Proves the build itself (not only the checker's unit tests) rejects a broken routes/: copies
# the example routes, breaks them (fourteen ways), and expects `cargo check` to fail with the exact message.
# Then `gatehouse check` (what `make check` runs, no wasm build) must agree, with each error's place.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_failure() {
  local what="$1" expected="$2" place="${3:-}"
  if out=$(GATEHOUSE_ROUTES="$tmp/routes" cargo check --quiet 2>&1); then
    echo "FAIL: cargo check accepted routes/ with $what"; exit 1
  fi
  if ! grep -qF -- "$expected" <<<"$out"; then
    echo "FAIL: $what: expected the build to say: $expected"; echo "$out" | tail -20; exit 1
  fi
  if [ -n "$place" ] && ! grep -qF -- "--> $place" <<<"$out"; then
    echo "FAIL: $what: expected the build to point at $place"; echo "$out" | tail -20; exit 1
  fi
  echo "ok: $what -> error: $expected${place:+ at $place}"
}

# `gatehouse check DIR` (make check): exits 1 with the message and its place, 0 when clean.
gatehouse_check() {
  cargo run --quiet -p gatehouse-config --bin gatehouse -- check "$tmp/routes" 2>&1
}

reset() { rm -rf "$tmp/routes"; cp -r routes "$tmp/routes"; }

reset
sed -i 's/upstream = "users"/upstream = "userz"/' "$tmp/routes/v2/users.toml"
line=$(grep -n 'upstream = "userz"' "$tmp/routes/v2/users.toml" | head -1 | cut -d: -f1)
expect_failure "an undefined upstream" 'routes/v2/users.toml: route "v2-get-user": upstream "userz" is not defined in routes/gateway.toml [upstreams]' "routes/v2/users.toml:$line:12"
if out=$(gatehouse_check); then echo "FAIL: gatehouse check accepted an undefined upstream"; exit 1; fi
grep -qF -- "--> routes/v2/users.toml:$line:12" <<<"$out" || { echo "FAIL: gatehouse check gave no place"; echo "$out"; exit 1; }
echo "ok: gatehouse check exits 1 and points at routes/v2/users.toml:$line:12"

reset
printf '\n[[route]]\nid = "clash"\nmethods = ["GET"]\npath = "/users/{name}"\nupstream = "users"\n' >> "$tmp/routes/v2/users.toml"
expect_failure "a conflicting path" 'routes/v2/users.toml: route "clash": path "/v2/users/{name}" conflicts with "/v2/users/{id}"'

reset
printf '\n[[route\n' >> "$tmp/routes/v2/users.toml"
line=$(wc -l < "$tmp/routes/v2/users.toml")
expect_failure "a TOML syntax error" "routes/v2/users.toml: line $line, column 8: invalid table header" "routes/v2/users.toml:$line:8"

reset
sed -i 's/^algorithms = \["RS256", "PS256", "ES256", "EdDSA"\]/algorithms = ["none", "RS256"]/' "$tmp/routes/gateway.toml"
expect_failure "a jwt policy allowing alg none" 'routes/gateway.toml: policy "user-jwt": algorithms: "none" is never accepted'

reset
sed -i 's/policies = \["user-jwt", { kind = "require", scopes = \["orders:read"\] }\]/policies = [{ kind = "require", scopes = ["orders:read"] }]/' "$tmp/routes/v1/account.toml"
expect_failure "a require without authentication" 'routes/v1/account.toml: route "v1-orders": policy "v1-orders#1" (require) needs an authentication policy (jwt, api_key, mtls or any) before it'

reset
sed -i 's|^origins = \["http://127.0.0.1:9003", "https://\*.gatehouse.test"\]|origins = ["*"]|' "$tmp/routes/gateway.toml"
expect_failure "a credentialed cors policy for any origin" 'routes/gateway.toml: policy "web-cors": origins: "*" cannot be combined with credentials = true'

reset
sed -i 's/^sunset = "2099-12-31T00:00:00Z"/sunset = "2026-01-01T00:00:00Z"/' "$tmp/routes/v1/version.toml"
expect_failure "a sunset before the deprecation" 'routes/v1/version.toml: sunset must be later than deprecated'

reset
sed -i 's/^match = { query = { beta = "1" } }$/match = { headers = { "x-plan" = "gold" } }/' "$tmp/routes/v1/pool.toml"
expect_failure "two routes a request could meet together" 'routes/v1/pool.toml: route "v1-split-acme-beta": GET /v1/split/{*rest} could match the same requests as route "v1-split-beta"'

reset
sed -i 's/^fallback = { upstream = "split-next" }$/fallback = { upstream = "spare" }/' "$tmp/routes/gateway.toml"
expect_failure "a fallback to an undefined upstream" 'routes/gateway.toml: upstream "with-spare": fallback.upstream "spare" is not defined'

reset
sed -i 's/"email": { "type": "string", "minLength": 3, "maxLength": 254 }/"email": { "type": "string", "format": "email" }/' "$tmp/routes/schemas/signup.json"
expect_failure "a schema keyword Gatehouse does not implement" 'routes/schemas/signup.json: at /properties/email: keyword "format" is not implemented by Gatehouse'

reset
sed -i 's|^body_schema = "schemas/signup.json"|body_schema = "schemas/sign-up.json"|' "$tmp/routes/v1/validated.toml"
expect_failure "a body_schema file that does not exist" 'routes/v1/validated.toml: route "v1-signup": body_schema "schemas/sign-up.json": no such schema file (routes/schemas/<name>.json)'

reset
sed -i 's/^on_error = "allow"$/fail = "open"/' "$tmp/routes/gateway.toml"
expect_failure "a rate limit with the renamed key fail" 'routes/gateway.toml: policy "per-ip": fail: renamed; use on_error = "deny" (the default; was fail = "closed") or on_error = "allow" (was fail = "open")'

reset
sed -i 's/^gc_pace_slots = 4096$/gc_pace_slots = 2000000/' "$tmp/routes/gateway.toml"
expect_failure "GC pacing above its maximum" 'routes/gateway.toml: gateway.gc_pace_slots: a whole number of slots from 0 (off) to 1048576, not 2000000'

reset
sed -i 's/^gc_pace_slots = 4096$/gc_pace_slots = "4096"/' "$tmp/routes/gateway.toml"
expect_failure "GC pacing given as a string" 'routes/gateway.toml: gateway.gc_pace_slots: a whole number of slots from 0 (off) to 1048576, not "4096"'

# And the unbroken copy builds (so the failures above are about the breakage, not the setup).
reset
GATEHOUSE_ROUTES="$tmp/routes" cargo check --quiet
echo "ok: the unbroken copy builds"
gatehouse_check >/dev/null || { echo "FAIL: gatehouse check refused the unbroken copy"; exit 1; }
echo "ok: gatehouse check accepts the unbroken copy"

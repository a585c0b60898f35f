// `make key-create` / `key-list` / `key-revoke` end to end: the script writes through wrangler's
// local KV storage, and the gateway (Miniflare reading the same storage) accepts the printed
// key, then refuses it once revoked.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startGateway, request, until } from "./harness.mjs";
import { startOrigin } from "../../scripts/demo-origin.mjs";

const NAMESPACE_ID = "00000000000000000000000000000000"; // wrangler.toml's API_KEYS id
const s = {};

before(async () => {
  s.dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-keys-"));
  s.origin = await startOrigin();
  s.gw = await startGateway({ ECHO_ORIGIN: s.origin.url }, {
    kvNamespaces: { API_KEYS: NAMESPACE_ID },
    kvPersist: path.join(s.dir, "v3/kv"),
  });
});
after(async () => {
  await s.gw?.close();
  await s.origin?.close();
  fs.rmSync(s.dir, { recursive: true, force: true });
});

const keys = (command, env) =>
  execFileSync("node", ["scripts/keys.mjs", command], { env: { ...process.env, PERSIST_TO: s.dir, ...env }, encoding: "utf8" });

test("a key from key-create works, key-list shows it, key-revoke ends it", async () => {
  const out = keys("create", { CONSUMER: "acme-e2e", PLAN: "gold", SCOPES: "data:read" });
  const key = out.trim().split("\n").at(-1);
  assert.match(key, /^gh_[A-Za-z0-9_-]{43}$/);
  assert.match(keys("list"), /consumer=acme-e2e {2}plan=gold/);
  assert.doesNotMatch(keys("list"), new RegExp(key), "the plain key is not stored");

  const ok = await request(s.gw, "GET", "/v1/partner/data", { headers: { "x-api-key": key } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(s.origin.received.at(-1).headers["x-consumer-id"], "acme-e2e");

  keys("revoke", { KEY: key });
  // The example policy caches a key's record for cache_ttl = "5s": refused once it expires.
  await until(async () => (await request(s.gw, "GET", "/v1/partner/data", { headers: { "x-api-key": key } })).status === 401,
    "the revoked key refused", 10_000);
});

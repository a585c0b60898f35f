// API-key administration for the `api_key` policy: `make key-create`, `make key-revoke`,
// `make key-list`. Keys live in the KV namespace bound as API_KEYS (wrangler.toml), stored as
// `sha256:<hex>` -> consumer record; the plain key is printed once and never stored.
//
// Local storage (what `wrangler dev` / `make dev` read) by default; REMOTE=1 for the real
// namespace; ENV=staging (an [env.X] of wrangler.toml) for that environment's namespace.
// Environment:
//   create: CONSUMER (id, required), NAME, PLAN, SCOPES ("a,b" or "a b"), EXPIRES (RFC 3339)
//   revoke: KEY (the plain key) or CONSUMER (every key of that consumer)
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BINDING = process.env.BINDING || "API_KEYS";
const where = process.env.REMOTE === "1" ? "--remote" : "--local";
// PERSIST_TO: local storage directory other than wrangler's default (used by the tests).
const persist = where === "--local" && process.env.PERSIST_TO ? ["--persist-to", process.env.PERSIST_TO] : [];
const envArgs = process.env.ENV ? ["--env", process.env.ENV] : [];

function wrangler(...args) {
  return execFileSync(path.join(root, "node_modules/.bin/wrangler"), ["kv", "key", ...args, "--binding", BINDING, where, ...persist, ...envArgs], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

const storeKey = (key) => `sha256:${crypto.createHash("sha256").update(key).digest("hex")}`;

function list() {
  return JSON.parse(wrangler("list", "--prefix", "sha256:")).map((k) => ({ key: k.name, ...(k.metadata || {}) }));
}

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}

const [command] = process.argv.slice(2);
const env = process.env;
if (env.ENV) {
  const envs = [...fs.readFileSync(path.join(root, "wrangler.toml"), "utf8").matchAll(/^\[env\.([A-Za-z0-9_-]+)\]$/gm)].map((m) => m[1]);
  if (!envs.includes(env.ENV)) fail(`ENV=${env.ENV} is not an environment in wrangler.toml (there: ${envs.join(", ")})`);
}

if (command === "create") {
  if (!env.CONSUMER) fail("set CONSUMER=<consumer id>, e.g. make key-create CONSUMER=acme PLAN=gold SCOPES=data:read");
  if (env.EXPIRES && Number.isNaN(Date.parse(env.EXPIRES))) fail(`EXPIRES=${env.EXPIRES} is not an RFC 3339 date-time`);
  const key = `gh_${crypto.randomBytes(32).toString("base64url")}`; // 256 bits of entropy
  const record = {
    id: env.CONSUMER,
    name: env.NAME || env.CONSUMER,
    plan: env.PLAN || null,
    scopes: (env.SCOPES || "").split(/[\s,]+/).filter(Boolean),
    enabled: true,
    expires_at: env.EXPIRES || null,
  };
  const metadata = { id: record.id, plan: record.plan, created: new Date().toISOString() };
  wrangler("put", storeKey(key), JSON.stringify(record), "--metadata", JSON.stringify(metadata));
  console.log(`[keys] stored ${storeKey(key).slice(0, 19)}... for consumer "${record.id}" (${where.slice(2)})`);
  console.log(`[keys] the key is shown once; keep it now:\n${key}`);
} else if (command === "revoke") {
  const targets = env.KEY ? [storeKey(env.KEY)] : env.CONSUMER ? list().filter((k) => k.id === env.CONSUMER).map((k) => k.key) : fail("set KEY=<the key> or CONSUMER=<consumer id>");
  if (targets.length === 0) fail("no matching key");
  for (const t of targets) {
    wrangler("delete", t);
    console.log(`[keys] revoked ${t.slice(0, 19)}...`);
  }
  console.log("[keys] gateways stop accepting it within the policy's cache_ttl (at most 60 s) plus KV propagation");
} else if (command === "list") {
  const keys = list();
  if (keys.length === 0) console.log("[keys] no keys");
  for (const k of keys) console.log(`${k.key.slice(0, 19)}...  consumer=${k.id ?? "?"}  plan=${k.plan ?? "-"}  created=${k.created ?? "?"}`);
} else {
  fail("usage: node scripts/keys.mjs create|revoke|list");
}

// `make import` on hostile or awkward documents (Gatehouse issue 28): what the gateway can
// enforce is kept, nothing becomes an open route silently, imported variables cannot name the
// gateway's secrets, nothing printed can drive the terminal, --force deletes only an import's
// own output, and whatever the strings hold, the files written pass the real checker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { importDocument } from "../../scripts/openapi-import/routes.mjs";
import { GATEWAY_NAMES, IMPORTED_PREFIX } from "../../scripts/openapi-import/names.mjs";
import { checkerPath } from "./gatehouse-cli.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const importer = join(root, "scripts", "import-openapi.mjs");
const work = mkdtempSync(join(tmpdir(), "gatehouse-import-safety-"));
const options = { deprecatedAt: "2026-01-01T00:00:00Z", source: "doc.json" };

function runImport(doc, out, ...extra) {
  const source = join(work, `${out}.json`);
  writeFileSync(source, JSON.stringify(doc));
  return spawnSync(process.execPath, [importer, source, "--out", join(work, out), "--deprecated-at", options.deprecatedAt, ...extra], {
    cwd: root,
    encoding: "utf8",
  });
}


/** Writes an import's files to a fresh directory and runs `gatehouse check` on it. */
function check(result, name) {
  const dir = join(work, name);
  for (const [rel, text] of result.files) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return spawnSync(checkerPath(), ["check", dir], { encoding: "utf8" });
}

const route = (result, id) => {
  for (const [name, text] of result.files) {
    const r = text.split("[[route]]").find((x) => x.includes(`id = "${id}"`));
    if (name.endsWith(".toml") && r) return r;
  }
  return undefined;
};

const schemes = {
  jwt: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
  key: { type: "apiKey", in: "header", name: "X-Key" },
  cookie: { type: "apiKey", in: "cookie", name: "sid" },
  basic: { type: "http", scheme: "basic" },
};
const secured = (paths) => ({
  openapi: "3.0.3",
  info: { title: "T", version: "1" },
  servers: [{ url: "https://api.example.com/v1" }],
  components: { securitySchemes: schemes },
  paths,
});

test("a combined requirement with a scheme the gateway cannot check keeps the jwt and scopes it can, and says so as weaker", () => {
  const result = importDocument(secured({ "/admin/users": { delete: { operationId: "del", security: [{ jwt: ["admin"], cookie: [] }] } } }), options);
  assert.match(route(result, "del"), /policies = \["jwt", \{ kind = "require", scopes = \["admin"\] \}\]/);
  const line = result.notMapped.find((n) => n.pointer === "/paths/~1admin~1users/delete/security/0/cookie");
  assert.equal(line.weaker, true);
  assert.match(line.reason, /NOT CHECKED by the gateway on this route, the upstream must check it .*; the gateway still enforces jwt and the scopes admin/);
  assert.equal(check(result, "and").status, 0);
});

test("an operation whose security the gateway can enforce none of is not imported, and is listed", () => {
  const result = importDocument(
    secured({
      "/basic": { get: { operationId: "b", security: [{ basic: [] }] } },
      "/either": { get: { operationId: "e", security: [{ basic: [] }, { cookie: [] }] } },
      "/open": { get: { operationId: "o", security: [] } },
    }),
    options,
  );
  assert.equal(route(result, "b"), undefined);
  assert.equal(route(result, "e"), undefined);
  assert.doesNotMatch(route(result, "o"), /policies/);
  for (const at of ["/paths/~1basic/get", "/paths/~1either/get"]) {
    assert.match(result.notMapped.find((n) => n.pointer === at).reason, /^not imported: the gateway can enforce none of its security requirements/);
  }
  assert.equal(check(result, "none").status, 0);
});

test("alternatives with different scopes require the scopes they share; the others are listed as weaker", () => {
  const result = importDocument(secured({ "/x": { get: { operationId: "x", security: [{ jwt: ["read", "admin"] }, { key: ["read", "write"] }] } } }), options);
  assert.match(route(result, "x"), /policies = \[\{ kind = "any", of = \["jwt", "key"\] \}, \{ kind = "require", scopes = \["read"\] \}\]/);
  const line = result.notMapped.find((n) => n.pointer === "/paths/~1x/get/security");
  assert.equal(line.weaker, true);
  assert.match(line.reason, /requires only the scopes they share \(read\); NOT CHECKED by the gateway on this route: admin, write/);
  const r = runImport(secured({ "/x": { get: { operationId: "x", security: [{ jwt: ["read", "admin"] }, { key: ["read", "write"] }] } } }), "scopes");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\nWEAKER THAN THE DOCUMENT: 1 check\(s\) the gateway does not make .*\n {2}\/paths\/~1x\/get\/security: the alternatives ask for different scopes[^\n]*\nnot mapped:/);
});

/** Every name wrangler.toml gives a variable, secret or binding. */
function wranglerNames() {
  const text = readFileSync(join(root, "wrangler.toml"), "utf8");
  const names = new Set();
  for (const [, n] of text.matchAll(/^([A-Z][A-Z0-9_]+) = /gm)) names.add(n);
  for (const [, n] of text.matchAll(/^(?:binding|name) = "([A-Z][A-Z0-9_]+)"/gm)) names.add(n);
  for (const [, n] of text.matchAll(/secret put ([A-Z][A-Z0-9_]+)/g)) names.add(n);
  return names;
}

test("imported variables start with OPENAPI_ and never name a gateway variable, secret or binding", () => {
  const known = wranglerNames();
  assert.ok(known.has("ADMIN_TOKEN") && known.has("JWT_SECRET") && known.has("ECHO_ORIGIN"), [...known].join(" "));
  for (const n of known) assert.ok(GATEWAY_NAMES.has(n), `${n} (wrangler.toml) is missing from GATEWAY_NAMES`);
  for (const n of GATEWAY_NAMES) assert.ok(!n.startsWith(IMPORTED_PREFIX), n);
  // Each gateway name split into a title and a server variable, a scheme name and "ORIGIN"s.
  for (const name of GATEWAY_NAMES) {
    const parts = name.split("_");
    for (let i = 1; i <= parts.length; i++) {
      const title = parts.slice(0, i).join(" ");
      const variable = parts.slice(i).join("_") || "x";
      const result = importDocument(
        {
          openapi: "3.0.3",
          info: { title, version: "1" },
          servers: [{ url: `https://{${variable}}.example.com/v1`, variables: { [variable]: { default: "a" } } }],
          components: { securitySchemes: { [name.replace(/_JWKS_URL$/, "")]: { type: "oauth2", flows: {} } } },
          security: [{ [name.replace(/_JWKS_URL$/, "")]: [] }],
          paths: { "/a": { get: { servers: [{ url: "/rel" }] } } },
        },
        options,
      );
      for (const v of result.variables) {
        if (v.name === "API_KEYS") continue;
        assert.ok(v.name.startsWith(IMPORTED_PREFIX), `${v.name} from title "${title}"`);
        assert.ok(!GATEWAY_NAMES.has(v.name), `${v.name} from title "${title}"`);
        assert.ok(!known.has(v.name), `${v.name} from title "${title}"`);
      }
    }
  }
  const admin = importDocument(
    { openapi: "3.0.3", info: { title: "Admin", version: "1" }, servers: [{ url: "https://{token}.logs.example.net/v1" }], paths: { "/s": { get: {} } } },
    options,
  );
  assert.equal(admin.files.get("gateway.toml").match(/url = "(.*)"/)[1], "https://${OPENAPI_ADMIN_TOKEN}.logs.example.net");
});

/** Characters that could drive a terminal, in the output's own encoding. */
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

test("control characters from the document are printed escaped, in the output and in errors", () => {
  const evil = "\u001b[1A\u001b[2K\r\u009b2J\u007f\u2028\u202e";
  const doc = {
    openapi: "3.0.3",
    info: { title: `T${evil}`, version: "1" },
    servers: [{ url: "https://api.example.com/v1", variables: {} }, { url: `https://b${evil}.example.com` }],
    components: { securitySchemes: { [`b${evil}`]: { type: "http", scheme: `basic${evil}` } } },
    paths: {
      [`/z${evil}`]: { get: {} },
      "/admin": { get: { security: [{ [`b${evil}`]: [] }], [`x-${evil}`]: 1 } },
      "/y": { get: { servers: [{ url: `https://{v${evil}}.example.com` }] } },
    },
  };
  const r = runImport(doc, "ansi");
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, UNPRINTABLE);
  assert.match(r.stdout, /\/paths\/~1z\\u001b\[1A\\u001b\[2K\\u000d\\u009b2J\\u007f\\u2028\\u202e\/get: not imported/);
  assert.equal(r.stdout.split("\n").filter((l) => l.startsWith("  /")).length, r.stdout.match(/\n {2}\//g).length);
  // An error that quotes the document is one escaped line too.
  const bad = runImport({ ...doc, servers: [{ url: `ftp://x${evil}` }], paths: { "/ok": { get: {} } } }, "ansi-bad");
  assert.equal(bad.status, 1);
  assert.doesNotMatch(bad.stderr.trimEnd(), UNPRINTABLE);
  assert.doesNotMatch(bad.stderr.trimEnd(), /\n/);
  assert.match(bad.stderr, /is not an http\(s\) URL/);
});

test("--force replaces only a directory an import wrote, and never deletes dotfiles or other files", () => {
  const doc = secured({ "/a": { get: { operationId: "a", requestBody: undefined } } });
  assert.equal(runImport(doc, "forced").status, 0);
  const dir = join(work, "forced");
  assert.equal(runImport(doc, "forced", "--force").status, 0, "an import's own output is replaced");
  for (const [file, why] of [
    [".env", ".env"],
    ["v1/.keep", "v1/.keep"],
    ["NOTES.md", "NOTES.md"],
    ["schemas/extra.toml", "schemas/extra.toml"],
    ["protos/a.proto", "protos/a.proto"],
  ]) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), "mine\n");
    const r = runImport(doc, "forced", "--force");
    assert.equal(r.status, 1, file);
    assert.match(r.stderr, new RegExp(`not a routes directory written by \`make import\` \\(${why.replace(".", "\\.")}\\)`));
    assert.equal(readFileSync(join(dir, file), "utf8"), "mine\n");
    assert.ok(existsSync(join(dir, "gateway.toml")), `${file}: nothing deleted`);
    spawnSync("rm", ["-r", join(dir, file.split("/")[0] === "v1" ? file : file.split("/")[0])]);
  }
  // A gateway.toml that is not an import's: not replaced either.
  writeFileSync(join(dir, "gateway.toml"), "[gateway]\n");
  assert.match(runImport(doc, "forced", "--force").stderr, /does not start with the import's header/);
});

test("make import forces only with FORCE=1", () => {
  const cmd = (force) =>
    spawnSync("make", ["-n", "import", "OPENAPI=a.yaml", ...(force === undefined ? [] : [`FORCE=${force}`])], { cwd: root, encoding: "utf8" }).stdout
      .split("\n")
      .find((l) => l.includes("import-openapi.mjs"));
  assert.match(cmd("1"), /--force/);
  for (const f of [undefined, "0", "", "no"]) assert.doesNotMatch(cmd(f), /--force/, `FORCE=${f}`);
});

// Property-style: seeded random documents whose every carried string mixes quotes, newlines,
// CR, DEL, C1, U+2028, leading dots, `"""` and the like; every import must pass the checker.
const PIECES = ['"', "'", "\\", "\n", "\r", "\r\n", "\u007f", "\u0085", "\u2028", "\u2029", "\u001b[2K", "\t", "\u0000", '"""', "'''", ".", "..", "#", "=", "[", "]", "$", "${X}", "é", "😀", "\ud800", " ", "a", "Z", "9", "-", "_"];

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("whatever the carried strings hold (quotes, newlines, CR, DEL, U+2028, leading dots, \"\"\"), the files pass gatehouse check", () => {
  const random = mulberry32(28);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const nasty = (lead = "") => lead + Array.from({ length: 1 + Math.floor(random() * 6) }, () => pick(PIECES)).join("");
  for (let n = 0; n < 40; n++) {
    const scheme = nasty();
    const op = () => ({
      operationId: nasty(pick(["", ".", "..", "-"])),
      summary: nasty(),
      description: nasty(),
      tags: [nasty(), nasty()],
      deprecated: random() < 0.5,
      security: [{ [scheme]: [nasty(), "read"] }],
      parameters: [{ name: nasty(), in: "query", required: true, description: nasty(), schema: { type: "string", enum: [nasty()] } }],
      requestBody: { required: true, content: { "application/json": { schema: { type: "object", properties: { [nasty()]: { type: "string", description: nasty() } } } } } },
    });
    const doc = {
      openapi: pick(["3.0.3", "3.1.0"]),
      info: { title: nasty(), version: nasty(), description: nasty() },
      servers: [{ url: `https://api.example.com/{${nasty().replace(/[{}]/g, "")}}`, variables: {} }],
      components: {
        securitySchemes: {
          [scheme]: pick([
            { type: "openIdConnect", openIdConnectUrl: `https://id.example.com/${nasty()}/.well-known/openid-configuration`, description: nasty() },
            { type: "http", scheme: "bearer", bearerFormat: "JWT", description: nasty() },
            { type: "apiKey", in: "header", name: "X-Key", description: nasty() },
          ]),
        },
      },
      paths: {
        [`/a${n}`]: { summary: nasty(), description: nasty(), post: op(), put: op() },
        [`/b${n}/{${nasty().replace(/[{}/*]/g, "") || "p"}}`]: { patch: op() },
      },
    };
    const result = importDocument(doc, options);
    const r = check(result, `property-${n}`);
    assert.equal(r.status, 0, `case ${n}: ${JSON.stringify(doc)}\n${r.stderr}`);
    const routes = [...result.files.values()].join("").split("[[route]]").length - 1;
    const skipped = result.notMapped.filter((m) => /^\/paths\/[^/]+\/(post|put|patch)$/.test(m.pointer) && m.reason.startsWith("not imported")).length;
    assert.equal(routes + skipped, 3, `case ${n}: every operation is a route or listed as not imported`);
    assert.match(r.stdout, new RegExp(`ok - .* ${routes} routes`), `case ${n}`);
  }
});

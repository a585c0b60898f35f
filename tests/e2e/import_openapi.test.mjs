// `make import`: real public OpenAPI documents (shipped in the @readme/oas-examples package,
// not written here) are imported with scripts/import-openapi.mjs; the routes it writes must
// pass the real checker (crates/config), and the OpenAPI document the gateway generates from
// them must list the same operations, with the same ids and security, as the source.
// Needs no worker: the checker runs natively (`gatehouse openapi DIR`, crates/config's CLI).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { parse as parseYaml } from "yaml";
import { Validator } from "@seriousme/openapi-schema-validator";
import { checkerPath } from "./gatehouse-cli.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const examples = dirname(createRequire(import.meta.url).resolve("@readme/oas-examples/package.json"));
const importer = join(root, "scripts", "import-openapi.mjs");
const work = mkdtempSync(join(tmpdir(), "gatehouse-import-"));

function runImport(source, out, ...extra) {
  return spawnSync(process.execPath, [importer, source, "--out", out, "--deprecated-at", "2026-01-01T00:00:00Z", ...extra], {
    cwd: root,
    encoding: "utf8",
  });
}


/** The real checker on a routes directory: the gateway's /openapi.json for it. */
function gatewayDocument(dir) {
  const checker = checkerPath();
  const r = spawnSync(checker, ["openapi", dir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `the checker refused the imported routes:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch"];

function operations(doc, prefix) {
  const ops = new Map();
  for (const [path, raw] of Object.entries(doc.paths ?? {})) {
    const item = raw.$ref ? lookup(doc, raw.$ref) : raw;
    for (const m of METHODS) {
      if (!item[m] || (m === "head" && item.get)) continue;
      const full = prefix + (path === "/" && prefix ? "" : path);
      ops.set(`${m.toUpperCase()} ${full}`, item[m]);
    }
  }
  return ops;
}

function lookup(doc, ref) {
  return ref.slice(2).split("/").reduce((at, s) => at[s.replaceAll("~1", "/").replaceAll("~0", "~")], doc);
}

/** Policy names as the importer gives them to schemes (a-z 0-9 - _). */
const slug = (name) => name.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");

/** The security the gateway should document for an operation whose every scheme it enforces
 * and that has one alternative (or several with the same scopes); undefined otherwise. */
function expectedSecurity(source, op) {
  const reqs = op.security ?? source.security ?? [];
  const schemes = source.components?.securitySchemes ?? {};
  const enforced = (s) =>
    s && (["oauth2", "openIdConnect", "mutualTLS"].includes(s.type) ||
      (s.type === "http" && s.scheme?.toLowerCase() === "bearer") ||
      (s.type === "apiKey" && ["header", "query"].includes(s.in)));
  if (reqs.length === 0) return [];
  if (reqs.some((r) => Object.keys(r).length !== 1 || !enforced(schemes[Object.keys(r)[0]]))) return undefined;
  const scopes = new Set(reqs.map((r) => JSON.stringify([...Object.values(r)[0]].sort())));
  if (scopes.size !== 1) return undefined;
  return reqs.map((r) => ({ [slug(Object.keys(r)[0])]: [...Object.values(r)[0]].sort() }));
}

const DOCUMENTS = [
  // YAML, OpenAPI 3.0, OAuth 2 scopes and an API key; the server path names the version (/v2).
  { file: "3.0/yaml/petstore.yaml", prefix: "/v2", operations: 20 },
  // OpenAPI 3.1 (Bump.sh's Train Travel API): OAuth 2 with scopes, webhooks, 3.1 schemas.
  { file: "3.1/json/train-travel.json", prefix: "/v1", operations: 7 },
  // A real public API (USPTO) with a templated server URL and a "/" path.
  { file: "3.0/json/uspto.json", prefix: "/v1", operations: 3 },
  // OpenAPI 3.1, every kind of security scheme (some the gateway cannot enforce).
  { file: "3.1/json/security.json", prefix: "/v1", operations: 15 },
];

for (const { file, prefix, operations: count } of DOCUMENTS) {
  test(`importing ${file} gives routes the checker accepts, documenting the same operations, ids and security`, async () => {
    const sourcePath = join(examples, file);
    const text = readFileSync(sourcePath, "utf8");
    const source = file.endsWith(".yaml") ? parseYaml(text) : JSON.parse(text);
    const out = join(work, file.replaceAll("/", "_"));
    const r = runImport(sourcePath, out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^wrote \d+ file\(s\)/);
    assert.match(r.stdout, /\nnot mapped:/);

    const generated = gatewayDocument(out);
    const want = operations(source, prefix);
    assert.equal(want.size, count, "the source document's operation count");
    // Operations whose authentication the gateway cannot enforce at all are listed, not routes.
    for (const [, p, method] of r.stdout.matchAll(/\n {2}\/paths\/(\S+)\/(\w+): not imported: the gateway can enforce none/g)) {
      const path = p.replaceAll("~1", "/").replaceAll("~0", "~");
      assert.ok(want.delete(`${method.toUpperCase()} ${prefix}${path}`), `${path} ${method} is an operation`);
    }
    const got = operations(generated, "");
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
    for (const [key, op] of want) {
      const made = got.get(key);
      if (typeof op.operationId === "string" && /^[A-Za-z0-9_.-]+$/.test(op.operationId)) {
        assert.equal(made.operationId, op.operationId, key);
      }
      assert.equal(made.deprecated === true, op.deprecated === true, `${key} deprecated`);
      const security = expectedSecurity(source, op);
      if (security !== undefined) {
        assert.deepEqual(made.security ?? [], security, `${key} security`);
      }
    }
    const valid = await new Validator().validate(generated);
    assert.equal(valid.valid, true, JSON.stringify(valid.errors));
  });
}

test("what the gateway cannot enforce is listed by JSON Pointer; an operation it can enforce none of is not a route", () => {
  const out = join(work, "security-3.0");
  const r = runImport(join(examples, "3.0/json/security.json"), out);
  assert.equal(r.status, 0, r.stderr);
  const listed = r.stdout.split("not mapped:")[1];
  // http basic and API keys in cookies have no gateway policy; optional auth is not enforced.
  assert.match(listed, /\n {2}\/paths\/~1anything~1basic\/post\/security\/0\/basic: http "basic" authentication is not supported/);
  assert.match(listed, /\n {2}\/paths\/~1anything~1basic\/post: not imported: the gateway can enforce none of its security requirements/);
  assert.match(listed, /\n {2}\/paths\/~1anything~1apiKey\/post\/security\/0\/apiKey_cookie: an API key in a cookie is not supported/);
  assert.match(listed, /\n {2}\/paths\/~1anything~1optional-auth\/get\/security: authentication is optional here/);
  // OpenID Connect: the issuer comes from the discovery URL.
  const gateway = readFileSync(join(out, "gateway.toml"), "utf8");
  assert.match(gateway, /\[policies\.openidconnect\]\nkind = "jwt"\nalgorithms = \["RS256", "ES256"\]\nissuer = "https:\/\/example\.com"\njwks_url = "\$\{OPENAPI_OPENIDCONNECT_JWKS_URL\}"/);
  const doc = gatewayDocument(out);
  assert.equal(doc.paths["/v1/anything/basic"], undefined);
});

test("schemas are converted to the validator's subset: $refs into $defs, nullable, and each dropped keyword listed", () => {
  const out = join(work, "petstore-3.0");
  const r = runImport(join(examples, "3.0/yaml/petstore.yaml"), out);
  assert.equal(r.status, 0, r.stderr);
  const body = JSON.parse(readFileSync(join(out, "schemas", "placeOrder.body.json"), "utf8"));
  assert.equal(body.$ref, "#/$defs/Order");
  assert.equal(body.$defs.Order.properties.shipDate.type, "string");
  assert.equal(body.$defs.Order.properties.shipDate.format, undefined);
  assert.match(r.stdout, /\n {2}\/components\/schemas\/Order\/properties\/shipDate\/format: format is not checked/);
  // An XML alternative body means no body_schema (it would refuse XML with 415), and says so.
  assert.match(r.stdout, /\n {2}\/components\/requestBodies\/Pet\/content\/application~1xml: application\/xml bodies cannot be checked/);
  const pets = readFileSync(join(out, "v2", "pet.toml"), "utf8");
  assert.doesNotMatch(pets.split('id = "addPet"')[1].split("[[route]]")[0], /body_schema/);
  // An exploded array query parameter: one value or several.
  const query = JSON.parse(readFileSync(join(out, "schemas", "findPetsByStatus.query.json"), "utf8"));
  assert.deepEqual(query.required, ["status"]);
  assert.deepEqual(query.properties.status.type, ["array", "string"]);
  assert.equal(query.properties.status.anyOf.length, 2);
});

test("a templated server becomes ${VAR} parts, listed with their defaults", () => {
  const out = join(work, "uspto");
  const r = runImport(join(examples, "3.0/json/uspto.json"), out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(readFileSync(join(out, "gateway.toml"), "utf8"), /url = "\$\{OPENAPI_USPTO_DATA_SET_API_SCHEME\}:\/\/developer\.uspto\.gov\/ds-api"/);
  assert.match(r.stdout, /\n {2}OPENAPI_USPTO_DATA_SET_API_SCHEME: server variable "scheme" of \/servers\/0 \(default "https"; one of https, http\)/);
  // The server URL does not end with the version, so each route rewrites to the document's path.
  assert.match(readFileSync(join(out, "v1", "metadata.toml"), "utf8"), /path = "\/"\nupstream = "uspto-data-set-api"\nrewrite = "\/"/);
});

const BAD = [
  ["broken YAML", "bad.yaml", "openapi: 3.0.0\ninfo: [unclosed\n", /invalid document: not valid YAML \(line \d+, column \d+\)/],
  ["broken JSON", "bad.json", '{"openapi": "3.1.0",', /invalid document: not valid JSON/],
  ["not OpenAPI", "other.yaml", "name: x\n", /invalid document: no "openapi" version field/],
  ["OpenAPI 2", "swagger.json", null, /Swagger 2\.0 is not supported/],
  [
    "a $ref to nothing",
    "dangling.json",
    JSON.stringify({ openapi: "3.0.3", info: { title: "t", version: "1" }, paths: { "/a": { post: { requestBody: { $ref: "#/components/requestBodies/Nope" }, responses: {} } } } }),
    /invalid document: \/paths\/~1a\/post\/requestBody: \$ref "#\/components\/requestBodies\/Nope" points to nothing/,
  ],
  [
    "a member of the wrong type",
    "wrong-type.json",
    JSON.stringify({ openapi: "3.1.0", info: { title: "t", version: "1" }, paths: { "/a": { get: { security: { key: [] } } } } }),
    /invalid document: \/paths\/~1a\/get\/security: security must be an array of requirements/,
  ],
];

for (const [what, name, content, message] of BAD) {
  test(`${what} exits 1 with one clear line, no stack trace, and writes nothing`, () => {
    const source = content === null ? join(examples, "2.0/json/petstore.json") : join(work, name);
    if (content !== null) writeFileSync(source, content);
    const out = join(work, `bad-${name}`);
    const r = runImport(source, out);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^import-openapi: /);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.throws(() => readFileSync(join(out, "gateway.toml")));
  });
}

test("an existing non-empty output directory is replaced only with --force, and only when an import wrote it", () => {
  const out = join(work, "existing");
  const petstore = join(examples, "3.0/yaml/petstore.yaml");
  assert.equal(runImport(petstore, out).status, 0);
  const refused = runImport(petstore, out);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /exists and is not empty: choose another OUT, or FORCE=1 to replace it/);
  const forced = runImport(join(examples, "3.0/json/uspto.json"), out, "--force");
  assert.equal(forced.status, 0, forced.stderr);
  assert.throws(() => readFileSync(join(out, "v2", "pet.toml")));
  assert.match(readFileSync(join(out, "gateway.toml"), "utf8"), /\[upstreams\.uspto-data-set-api\]/);

  const mine = join(work, "mine");
  mkdirSync(join(mine, "v1"), { recursive: true });
  writeFileSync(join(mine, "v1", "mine.toml"), "# mine\n");
  const notImported = runImport(petstore, mine, "--force");
  assert.equal(notImported.status, 1);
  assert.match(notImported.stderr, /is not a routes directory written by `make import` \(no gateway\.toml\): not replaced, even with FORCE=1/);
  assert.equal(readFileSync(join(mine, "v1", "mine.toml"), "utf8"), "# mine\n");
});

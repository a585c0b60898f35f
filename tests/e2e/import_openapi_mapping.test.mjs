// `make import`, one rule at a time: a small document written to exercise each mapping the
// importer makes (schemas converted to the validator's subset, security alternatives, servers,
// what cannot be served), checked by the real checker (`gatehouse check`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { importDocument } from "../../scripts/openapi-import/routes.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const doc = {
  openapi: "3.1.0",
  info: { title: "Mapping Rules", version: "3.2.0" },
  servers: [{ url: "/api" }, { url: "https://backup.example.com/api" }],
  security: [{ jwt: ["read"] }, { key: ["read"] }],
  components: {
    securitySchemes: {
      jwt: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
      key: { type: "apiKey", in: "header", name: "X-Key" },
      cookie: { type: "apiKey", in: "cookie", name: "sid" },
    },
    schemas: {
      Node: {
        type: "object",
        required: ["name"],
        properties: { name: { type: "string", pattern: "^[a-z]+$" }, children: { type: "array", items: { $ref: "#/components/schemas/Node" } } },
      },
    },
  },
  paths: {
    "/trees": {
      post: {
        operationId: "create tree!",
        requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/Node", description: "a root" } } } },
        responses: {},
      },
      get: {
        parameters: [
          { name: "limit", in: "query", required: true, schema: { type: "integer", exclusiveMinimum: 0 } },
          { name: "ids", in: "query", schema: { type: "array", items: { type: "integer" } } },
          { name: "X-Trace", in: "header", schema: { type: "string" } },
        ],
        responses: {},
      },
      head: { responses: {} },
      trace: { responses: {} },
    },
    "/trees/{id}": {
      servers: [{ url: "https://{region}.trees.example.com/v3", variables: { region: { default: "eu" } } }],
      delete: { deprecated: true, security: [{ jwt: ["admin"] }, { key: ["write"] }], responses: {} },
      put: {
        security: [{ cookie: [] }, { key: [] }],
        requestBody: { content: { "application/json": { schema: { type: "object" } } } },
        responses: {},
      },
      patch: { security: [], requestBody: { required: true, content: { "application/json": { schema: { $ref: "other.yaml#/Tree" } } } }, responses: {} },
    },
    "/trees/{name}": { get: { responses: {} } },
    "/files/{name}.json": { get: { responses: {} } },
    "/pairs/{a}-{b}": { get: { responses: {} } },
  },
};

const result = importDocument(doc, { deprecatedAt: "2026-01-01T00:00:00Z", source: "rules.json" });
const listed = (pointer) => result.notMapped.filter((n) => n.pointer === pointer).map((n) => n.reason);
const file = (name) => result.files.get(name);

test("the mapped document passes the real checker", () => {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-import-rules-"));
  for (const [rel, text] of result.files) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  const r = spawnSync("cargo", ["run", "-q", "-p", "gatehouse-config", "--bin", "gatehouse", "--", "check", dir], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ok - /);
});

test("info.version's major names the version folder when the server path names none", () => {
  assert.equal(result.version, "v3");
  assert.ok(file("v3/trees.toml"));
});

test("schemas: component $refs become $defs (recursion kept), dropped keywords listed, 3.1 $ref siblings kept", () => {
  const body = JSON.parse(file("schemas/create-tree.body.json"));
  assert.deepEqual(body.$ref, "#/$defs/Node");
  assert.equal(body.description, "a root");
  assert.deepEqual(body.$defs.Node.properties.children.items, { $ref: "#/$defs/Node" });
  assert.equal(body.$defs.Node.properties.name.pattern, undefined);
  assert.match(listed("/components/schemas/Node/properties/name/pattern")[0], /pattern is not checked/);
  assert.match(listed("/paths/~1trees~1{id}/patch/requestBody/content/application~1json/schema/$ref")[0], /not a local reference/);
});

test("query parameters: required, bounds and exploded arrays; header parameters listed", () => {
  const query = JSON.parse(file("schemas/get-trees.query.json"));
  assert.deepEqual(query.required, ["limit"]);
  assert.deepEqual(query.properties.limit, { type: "integer", exclusiveMinimum: 0 });
  assert.deepEqual(query.properties.ids, { anyOf: [{ type: "integer" }, { type: "array", items: { type: "integer" } }], type: ["array", "integer"] });
  assert.match(listed("/paths/~1trees/get/parameters/2")[0], /header parameters are not checked/);
});

test("methods and paths the gateway cannot serve are listed, never dropped silently", () => {
  assert.match(listed("/paths/~1trees/trace")[0], /does not serve TRACE/);
  assert.match(listed("/paths/~1trees/head")[0], /the GET route answers HEAD/);
  assert.match(listed("/paths/~1pairs~1{a}-{b}/get")[0], /more than one parameter/);
  assert.match(file("v3/files.toml"), /path = "\/files\/\{name\}\.json"/);
  assert.match(listed("/paths/~1trees~1{name}/get")[0], /conflicts with "\/trees\/\{id\}"/);
  assert.doesNotMatch(file("v3/trees.toml"), /\{name\}|HEAD|TRACE/);
});

test("security: alternatives with the same scopes become any + require; different scopes are listed", () => {
  const trees = file("v3/trees.toml");
  const get = trees.split("[[route]]").find((r) => r.includes('id = "get-trees"'));
  assert.match(get, /policies = \[\{ kind = "any", of = \["jwt", "key"\] \}, \{ kind = "require", scopes = \["read"\] \}\]/);
  const del = trees.split("[[route]]").find((r) => r.includes('id = "delete-trees-id"'));
  assert.match(del, /policies = \[\{ kind = "any", of = \["jwt", "key"\] \}\]/);
  assert.match(del, /deprecated = "2026-01-01T00:00:00Z"/);
  assert.match(listed("/paths/~1trees~1{id}/delete/security")[0], /different scopes: the gateway requires no scope; NOT CHECKED by the gateway on this route: admin, write/);
  assert.equal(result.notMapped.find((n) => n.pointer === "/paths/~1trees~1{id}/delete/security").weaker, true);
  // A cookie key cannot be checked: that alternative is refused, the header key still works.
  const put = trees.split("[[route]]").find((r) => r.includes('id = "put-trees-id"'));
  assert.match(put, /policies = \["key"\]/);
  assert.match(listed("/paths/~1trees~1{id}/put/security/0/cookie")[0], /refused at the gateway/);
  assert.match(listed("/paths/~1trees~1{id}/put/requestBody")[0], /optional/);
  // `security: []` on an operation turns authentication off for it.
  const patch = trees.split("[[route]]").find((r) => r.includes('id = "patch-trees-id"'));
  assert.doesNotMatch(patch, /policies/);
});

test("servers: a relative URL gets an ORIGIN variable, a templated one ${VAR}s, a version suffix is cut", () => {
  const gateway = file("gateway.toml");
  assert.match(gateway, /\[upstreams\.mapping-rules\]\nurl = "\$\{OPENAPI_MAPPING_RULES_ORIGIN\}\/api"/);
  assert.match(gateway, /\[upstreams\.mapping-rules-2\]\nurl = "https:\/\/\$\{OPENAPI_MAPPING_RULES_2_REGION\}\.trees\.example\.com"/);
  assert.match(listed("/servers")[0], /2 servers: the first is the upstream/);
  const trees = file("v3/trees.toml");
  const del = trees.split("[[route]]").find((r) => r.includes('id = "delete-trees-id"'));
  // The path-level server ends with /v3, the public prefix: no rewrite needed.
  assert.match(del, /upstream = "mapping-rules-2"\n/);
  assert.doesNotMatch(del, /rewrite/);
  const get = trees.split("[[route]]").find((r) => r.includes('id = "get-trees"'));
  assert.match(get, /upstream = "mapping-rules"\nrewrite = "\/trees"/);
  assert.deepEqual(
    result.variables.map((v) => v.name).sort(),
    ["API_KEYS", "OPENAPI_JWT_JWKS_URL", "OPENAPI_MAPPING_RULES_2_REGION", "OPENAPI_MAPPING_RULES_ORIGIN"],
  );
});

test("OpenAPI 3.0 schema forms become JSON Schema 2020-12: nullable, boolean exclusive bounds, example", () => {
  const v30 = {
    openapi: "3.0.3",
    info: { title: "Old", version: "1.0.0" },
    paths: {
      "/items": {
        post: {
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: {
                    size: { type: "number", minimum: 0, exclusiveMinimum: true, maximum: 9, exclusiveMaximum: false },
                    color: { type: "string", enum: ["red", "blue"], nullable: true, example: "red" },
                    // 3.0 ignores members next to a $ref; 3.1 keeps them (allOf for assertions).
                    twin: { $ref: "#/components/schemas/Item", maxProperties: 1 },
                  },
                },
              },
            },
          },
          responses: {},
        },
      },
    },
    components: { schemas: { Item: { type: "object" } } },
  };
  const body = (d) => JSON.parse(importDocument(d, { deprecatedAt: "2026-01-01T00:00:00Z", source: "x" }).files.get("schemas/post-items.body.json"));
  const old = body(v30);
  assert.deepEqual(old.properties.size, { type: "number", exclusiveMinimum: 0, maximum: 9 });
  assert.deepEqual(old.properties.color, { type: ["string", "null"], enum: ["red", "blue", null], examples: ["red"] });
  assert.deepEqual(old.properties.twin, { $ref: "#/$defs/Item" });
  const v31 = structuredClone(v30);
  v31.openapi = "3.1.0";
  assert.deepEqual(body(v31).properties.twin, { allOf: [{ $ref: "#/$defs/Item" }, { maxProperties: 1 }] });
});

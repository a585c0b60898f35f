// The API described: OpenAPI 3.1 documents written by the build (checked with a real
// OpenAPI 3.1 validator), and request validation against compiled JSON Schemas on the wire.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { useGateway, request } from "./harness.mjs";

const s = useGateway();
const get = (path, headers = {}) => request(s.gw, "GET", path, { headers });
const post = (path, body, headers = { "content-type": "application/json" }) =>
  request(s.gw, "POST", path, { headers, body: typeof body === "string" ? body : JSON.stringify(body) });

for (const path of ["/openapi.json", "/v1/openapi.json", "/v2/openapi.json"]) {
  test(`${path} is a valid OpenAPI 3.1 document with an ETag`, async () => {
    const res = await get(path);
    assert.equal(res.status, 200);
    assert.match(res.headers["content-type"], /^application\/json/);
    assert.equal(res.headers["cache-control"], "public, max-age=300");
    assert.match(res.headers.etag, /^"[0-9a-f]{16}"$/);
    const doc = res.json();
    assert.equal(doc.openapi, "3.1.0");
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    const again = await get(path, { "if-none-match": res.headers.etag });
    assert.equal(again.status, 304);
    assert.equal(again.text, "");
  });
}

test("the document describes routes, parameters, security, limits, problems and lifecycle", async () => {
  const doc = (await get("/openapi.json")).json();
  const op = doc.paths["/v1/users/{id}"].get;
  assert.equal(op.operationId, "v1-get-user");
  assert.equal(op.summary, "Read a user");
  assert.deepEqual(op.tags, ["users"]);
  const { pattern, ...id } = op.parameters[0].schema;
  assert.deepEqual({ ...op.parameters[0], schema: id }, { name: "id", in: "path", required: true, schema: { type: "string", minLength: 1 } });
  assert.ok(new RegExp(pattern).test("42") && !new RegExp(pattern).test("a/b"), "the path-normalisation pattern");
  assert.equal(op.deprecated, true, "v1 is deprecated");
  assert.equal(op["x-sunset"], "Thu, 31 Dec 2099 00:00:00 GMT");
  assert.equal(op.responses["404"].$ref, "#/components/responses/NotFound");
  assert.equal(doc.components.responses.NotFound.content["application/problem+json"].schema.$ref, "#/components/schemas/Problem");
  assert.deepEqual(doc.components.schemas.Problem.required, ["type", "title", "status"]);
  // HEAD is implied by GET; several methods get one operation each.
  assert.equal(doc.paths["/v1/users/{id}"].head, undefined);
  assert.equal(doc.paths["/v1/users/{id}"].put.operationId, "v1-update-user.put");
  // Security schemes come from the authentication policies.
  const schemes = doc.components.securitySchemes;
  assert.ok(Object.values(schemes).some((s) => s.type === "http" && s.scheme === "bearer" && s.bearerFormat === "JWT"));
  assert.ok(Object.values(schemes).some((s) => s.type === "apiKey" && s.in === "header"));
  assert.ok(Object.values(schemes).some((s) => s.type === "mutualTLS"));
  const secured = Object.values(doc.paths).flatMap((item) => Object.values(item)).filter((o) => o.security);
  assert.ok(secured.some((o) => o.security.some((req) => Object.values(req).some((scopes) => scopes.length > 0))), "scopes from require policies");
  // Rate-limited routes document 429 with the RateLimit fields.
  const limited = doc.paths["/v1/search"].get;
  assert.equal(limited.responses["429"].$ref, "#/components/responses/RateLimited");
  assert.ok(doc.components.responses.RateLimited.headers["Retry-After"]);
  assert.ok(limited.responses.default.headers.RateLimit);
  assert.ok(limited["x-gatehouse-rate-limits"].length > 0);
  // Validated routes: the body schema and the query parameters.
  const signup = doc.paths["/v1/signups"].post;
  assert.equal(signup.requestBody.content["application/json"].schema.$ref, "#/components/schemas/signup");
  assert.equal(doc.components.schemas.signup.properties.address.$ref, "#/components/schemas/signup/$defs/address");
  assert.equal(signup.responses["422"].$ref, "#/components/responses/ValidationFailed");
  const find = doc.paths["/v1/find"].get;
  assert.deepEqual(find.parameters.map((p) => [p.name, p.in, p.required]), [["exact", "query", false], ["limit", "query", false], ["q", "query", true]]);
  // The per-version document holds that version only.
  const v2 = (await get("/v2/openapi.json")).json();
  assert.ok(Object.keys(v2.paths).every((p) => p.startsWith("/v2/")));
});

test("documents answer GET and HEAD only", async () => {
  const res = await post("/openapi.json", "{}");
  assert.equal(res.status, 405);
  assert.equal(res.headers.allow, "GET, HEAD");
  assert.equal(res.headers["content-type"], "application/problem+json");
  const head = await request(s.gw, "HEAD", "/openapi.json");
  assert.equal(head.status, 200);
  assert.equal(head.text, "");
});

const signup = { email: "ada@example.com", name: "Ada", plan: "gold", address: { country: "GB" } };

test("a valid body reaches the origin unchanged", async () => {
  const res = await post("/v1/signups", signup);
  assert.equal(res.status, 200, res.text);
  const seen = s.origin.received.at(-1);
  assert.equal(seen.path, "/internal/signups");
  assert.equal(seen.bodyBytes, Buffer.byteLength(JSON.stringify(signup)));
});

test("an invalid body is 422 validation-failed listing each failure as a JSON Pointer", async () => {
  const before = s.origin.received.length;
  const res = await post("/v1/signups", { email: "a", plan: "platinum", age: 12.5, tags: ["x", "x"], address: {}, extra: true });
  assert.equal(res.status, 422);
  assert.equal(res.headers["content-type"], "application/problem+json");
  const p = res.json();
  assert.equal(p.type, "urn:gatehouse:problem:validation-failed");
  assert.equal(p.title, "Validation failed");
  const got = p.errors.map((e) => [e.pointer, e.detail]);
  assert.deepEqual(got.sort(), [
    ["/address/country", "is required"],
    ["/age", "must be integer"],
    ["/email", "must be at least 3 characters long"],
    ["/extra", "is not an allowed property"],
    ["/name", "is required"],
    ["/plan", 'must be one of "free", "gold"'],
    ["/tags", "items must be unique"],
  ].sort());
  assert.match(p.detail, /^the request body does not match its schema \(7 failures\)$/);
  assert.equal(s.origin.received.length, before, "the origin is not called");
});

test("bodies that are not JSON objects, not JSON, or not declared as JSON are refused clearly", async () => {
  const cases = [
    ["[]", { "content-type": "application/json" }, 422],
    ["null", { "content-type": "application/json" }, 422],
    ['{"email":', { "content-type": "application/json" }, 400],
    [JSON.stringify(signup), { "content-type": "text/plain" }, 415],
    [JSON.stringify(signup), {}, 415],
    [JSON.stringify({ ...signup, name: "x".repeat(2_000_000) }), { "content-type": "application/json" }, 413],
    ["[".repeat(5000), { "content-type": "application/json" }, 400],
  ];
  for (const [body, headers, status] of cases) {
    const res = await post("/v1/signups", body, headers);
    assert.equal(res.status, status, `${body.slice(0, 20)} ${JSON.stringify(headers)}: ${res.text.slice(0, 200)}`);
    assert.equal(res.headers["content-type"], "application/problem+json");
  }
});

test("a body the validator and the origin could read differently is refused (duplicate members, rounded numbers)", async () => {
  const before = s.origin.received.length;
  const base = '"email":"ada@example.com","name":"Ada"';
  for (const [body, detail] of [
    [`{${base},"plan":"gold","plan":"free"}`, /the member "plan" appears twice in one object \(at \/plan\)/],
    [`{${base},"plan":"free","address":{"country":"GB","country":"FRA"}}`, /"country" appears twice/],
    [`{${base},"plan":"free","age":13.0000000000000001}`, /more digits than a 64-bit float holds/],
    [`{${base},"plan":"free","age":1e400}`, /out of (a 64-bit float's )?range/],
  ]) {
    const res = await post("/v1/signups", body, { "content-type": "application/json" });
    assert.equal(res.status, 400, `${body}: ${res.text}`);
    assert.equal(res.json().type, "urn:gatehouse:problem:invalid-body");
    assert.match(res.json().detail, detail);
  }
  assert.equal(s.origin.received.length, before, "the origin is not called");
});

test("query parameters are validated with their schema types", async () => {
  assert.equal((await get("/v1/find?q=ada&limit=10&exact=true")).status, 200);
  const res = await get("/v1/find?limit=500&exact=maybe&x=1");
  assert.equal(res.status, 422);
  const got = res.json().errors.map((e) => [e.pointer, e.detail]);
  assert.deepEqual(got.sort(), [
    ["/exact", "must be boolean"],
    ["/limit", "must be at most 100"],
    ["/q", "is required"],
    ["/x", "is not an allowed property"],
  ].sort());
  assert.match(res.json().detail, /request query/);
});

test("gRPC and GraphQL routes are described with schemas from their messages and variables", async () => {
  const doc = (await get("/v1/openapi.json")).json();
  const book = doc.paths["/v1/books/{id}"].get;
  assert.deepEqual(book.responses["200"].content["application/json"].schema, { $ref: "#/components/schemas/demo.catalog.v1.Book" });
  assert.deepEqual(book.parameters.find((p) => p.name === "withReviews"), { name: "withReviews", in: "query", required: false, schema: { type: "boolean" } });
  const schema = doc.components.schemas["demo.catalog.v1.Book"];
  assert.deepEqual(schema.properties.pages, { type: "string", format: "int64", pattern: "^-?[0-9]{1,18}$" }, "digits that always fit");
  assert.deepEqual(schema.properties.format, { type: "string", enum: ["FORMAT_UNSPECIFIED", "PAPER", "EBOOK"] });
  assert.deepEqual(schema.properties.published, { type: "string", format: "date-time" });
  const int32 = { type: "integer", format: "int32", minimum: -2147483648, maximum: 2147483647 };
  assert.deepEqual(schema.properties.stock, { type: "object", additionalProperties: int32 });
  const create = doc.paths["/v1/shelf/books"].post;
  assert.deepEqual(create.requestBody.content["application/json"].schema, { $ref: "#/components/schemas/demo.catalog.v1.Book" }, "body: \"book\"");
  const list = doc.paths["/v1/book-list"].get;
  assert.ok(list.responses["200"].content["application/x-ndjson"], "a stream is NDJSON");
  const rest = doc.paths["/v1/library/books/{id}"].get;
  assert.deepEqual(rest.parameters.find((p) => p.name === "reviews").schema, int32);
});

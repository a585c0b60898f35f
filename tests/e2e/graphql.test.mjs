// GraphQL guarded at the edge (routes/v1/graphql.toml): the `graphql` policy parses each
// operation before the demo service (graphql-js over graphql-http) sees it.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { auditServer } from "graphql-http";
import { useGateway, request, expectProblem, startOfWindow, logOf, putApiKey } from "./harness.mjs";

const s = useGateway();
const JSON_TYPE = "application/json";
const GQL_TYPE = "application/graphql-response+json";
const sha256 = (text) => crypto.createHash("sha256").update(text).digest("hex");

const post = (path, body, headers = {}) =>
  request(s.gw, "POST", path, {
    headers: { "content-type": JSON_TYPE, accept: GQL_TYPE, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const get = (path, params, headers = { accept: GQL_TYPE }) =>
  request(s.gw, "GET", `${path}?${new URLSearchParams(params)}`, { headers });

/** Asserts a GraphQL refusal: status, media type, one error with `code`, no data. */
function expectRefusal(res, status, code, type = GQL_TYPE) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers["content-type"], type);
  const body = res.json();
  assert.equal(body.errors[0].extensions.code, code, res.text);
  assert.ok(body.errors[0].message);
  assert.equal(body.data, undefined);
  return body;
}

test("an operation within the limits reaches the service and its answer comes back", async () => {
  const res = await post("/v1/graphql", { query: '{ book(id: "3") { title author { name } } }' });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json(), { data: { book: { title: "Book 3", author: { name: "Ursula" } } } });
});

test("a GET query runs too, and a mutation over GET is refused 405", async () => {
  const res = await get("/v1/graphql", { query: '{ book(id: "4") { title } }' });
  assert.deepEqual(res.json(), { data: { book: { title: "Book 4" } } });
  const before = s.origin.graphqlCalls.length;
  const m = await get("/v1/graphql", { query: 'mutation { addReview(bookId: "1", stars: 5) { stars } }' });
  expectRefusal(m, 405, "METHOD_NOT_ALLOWED");
  assert.equal(m.headers.allow, "GET, HEAD, POST");
  assert.equal(s.origin.graphqlCalls.length, before, "the service never saw it");
});

test("each limit refuses before the service sees the operation", async () => {
  const cases = [
    ["depth", '{ book(id: "1") { author { books { author { name } } } } }'],
    ["aliases", "{ a: books { id } b: books { id } c: books { id } d: books { id } e: books { id } }"],
    ["root fields", '{ books { id } author(id: "a1") { name } b: book(id: "1") { id } c: book(id: "2") { id } }'],
    ["cost", "{ books(first: 100) { id title } }"],
    ["tokens", `{ books { ${"id ".repeat(400)} } }`],
  ];
  const before = s.origin.graphqlCalls.length;
  for (const [what, query] of cases) {
    const body = expectRefusal(await post("/v1/graphql", { query }), 400, "OPERATION_LIMIT_EXCEEDED");
    assert.ok(body.errors[0].message, what);
  }
  assert.equal(s.origin.graphqlCalls.length, before);
});

test("a limit counts fragments where they are spread", async () => {
  const query = "{ ...A } fragment A on Query { books { ...B } } fragment B on Book { author { ...C } } fragment C on Author { books { author { name } } }";
  expectRefusal(await post("/v1/graphql", { query }), 400, "OPERATION_LIMIT_EXCEEDED");
});

test("introspection is refused unless the route allows it", async () => {
  const query = "{ __schema { queryType { name } } }";
  expectRefusal(await post("/v1/graphql", { query }), 400, "INTROSPECTION_DISABLED");
  const res = await post("/v1/graphql-tools", { query });
  assert.deepEqual(res.json(), { data: { __schema: { queryType: { name: "Query" } } } });
  const typename = await post("/v1/graphql", { query: "{ __typename }" });
  assert.deepEqual(typename.json(), { data: { __typename: "Query" } });
});

test("a client that accepts only application/json gets a document refusal as 200, as GraphQL over HTTP says", async () => {
  const res = await post("/v1/graphql", { query: "{ books { " }, { accept: JSON_TYPE });
  expectRefusal(res, 200, "GRAPHQL_PARSE_FAILED", JSON_TYPE);
  const bad = await post("/v1/graphql", "{ not json", { accept: JSON_TYPE });
  expectRefusal(bad, 400, "BAD_REQUEST", JSON_TYPE);
});

test("a batch runs up to its limit, each operation checked", async () => {
  // The demo service does not take batches; the gateway sends it one within the limit.
  const before = s.origin.graphqlCalls.length;
  const batch = [{ query: '{ book(id: "1") { id } }' }, { query: '{ book(id: "2") { id } }' }];
  await post("/v1/graphql", batch);
  assert.deepEqual(JSON.parse(s.origin.graphqlCalls[before].body), batch);
  const four = Array.from({ length: 4 }, () => ({ query: "{ __typename }" }));
  expectRefusal(await post("/v1/graphql", four), 400, "OPERATION_LIMIT_EXCEEDED");
  const hidden = [{ query: "{ __typename }" }, { query: "{ __schema { types { name } } }" }];
  expectRefusal(await post("/v1/graphql", hidden), 400, "INTROSPECTION_DISABLED");
});

test("a body another parser could read differently, or not JSON, is refused", async () => {
  const twice = '{"query":"{ __typename }","query":"{ __schema { types { name } } }"}';
  expectRefusal(await post("/v1/graphql", twice), 400, "BAD_REQUEST");
  const form = await request(s.gw, "POST", "/v1/graphql", {
    headers: { "content-type": "application/x-www-form-urlencoded", accept: GQL_TYPE },
    body: "query=%7B__schema%7Btypes%7Bname%7D%7D%7D",
  });
  expectRefusal(form, 415, "UNSUPPORTED_MEDIA_TYPE");
  const repeated = await request(s.gw, "GET", "/v1/graphql?query=%7B__typename%7D&query=%7B__schema%7Btypes%7Bname%7D%7D%7D", { headers: { accept: GQL_TYPE } });
  expectRefusal(repeated, 400, "BAD_REQUEST");
});

test("a parameter name the origin decodes differently, or a second '?', never gets past the guard", async () => {
  const before = s.origin.graphqlCalls.length;
  const schema = encodeURIComponent("{ __schema { types { name } } }");
  const typename = encodeURIComponent("{ __typename }");
  for (const path of [
    `/v1/graphql?quer%79=${schema}&query=${typename}`,
    `/v1/graphql?query=${typename}&quer%79=${schema}`,
    `/v1/graphql?operation%4Eame=M&operationName=Q&query=${typename}`,
    `/v1/graphql-storefront?quer%79=${schema}&extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } }))}&query=x`,
    `/v1/graphql?query=${encodeURIComponent("query Q($n: Int = 1000) { books(first: $n) { id } }")}&z=?&variables=${encodeURIComponent('{"n":1}')}`,
  ]) {
    expectRefusal(await request(s.gw, "GET", path, { headers: { accept: GQL_TYPE } }), 400, "BAD_REQUEST");
  }
  const alone = await request(s.gw, "GET", `/v1/graphql?quer%79=${schema}`, { headers: { accept: GQL_TYPE } });
  expectRefusal(alone, 400, "INTROSPECTION_DISABLED");
  assert.equal(s.origin.graphqlCalls.length, before, "the service saw none of them");
  // What was checked is what is sent: the one GraphQL parameter, re-encoded.
  const ok = await request(s.gw, "GET", `/v1/graphql?x=1&quer%79=${typename}`, { headers: { accept: GQL_TYPE } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(s.origin.graphqlCalls[before].url, `/graphql?x=1&query=${encodeURIComponent("{ __typename }")}`);
});

test("a persisted hash alone is not found on an open route, so the client sends the text", async () => {
  const query = '{ book(id: "1") { id } }';
  const ext = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
  expectRefusal(await post("/v1/graphql", { extensions: ext }), 400, "PERSISTED_QUERY_NOT_FOUND");
  const res = await post("/v1/graphql", { query, extensions: ext });
  assert.deepEqual(res.json(), { data: { book: { id: "1" } } });
  const wrong = { persistedQuery: { version: 1, sha256Hash: sha256("{ other }") } };
  expectRefusal(await post("/v1/graphql", { query, extensions: wrong }), 400, "PERSISTED_QUERY_HASH_MISMATCH");
});

test("an allowlist runs its operations by hash or text and nothing else", async () => {
  const text = "query Book($id: ID!) {\n  book(id: $id) {\n    title\n    author {\n      name\n    }\n  }\n}";
  const ext = { persistedQuery: { version: 1, sha256Hash: sha256(text) } };
  const before = s.origin.graphqlCalls.length;
  const byHash = await post("/v1/graphql-storefront", { extensions: ext, variables: { id: "5" } });
  assert.deepEqual(byHash.json(), { data: { book: { title: "Book 5", author: { name: "Ursula" } } } });
  assert.equal(JSON.parse(s.origin.graphqlCalls[before].body).query, text, "the service got the text");
  const byGet = await get("/v1/graphql-storefront", { extensions: JSON.stringify(ext), variables: '{"id":"6"}' });
  assert.deepEqual(byGet.json(), { data: { book: { title: "Book 6", author: { name: "Italo" } } } });
  const byText = await post("/v1/graphql-storefront", { query: text + "\n", variables: { id: "7" } });
  assert.equal(byText.status, 200, byText.text);
  const other = await post("/v1/graphql-storefront", { query: "{ books { id } }" });
  expectRefusal(other, 400, "OPERATION_NOT_ALLOWED");
});

test("the operation's name is logged and keys the rate limit", async () => {
  await startOfWindow(10_000, 3_000);
  const tenant = { "x-tenant": `t-${Date.now()}` };
  const named = (name) => post("/v1/graphql-metered", { query: `query ${name} { __typename }` }, tenant);
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await named("First")).status);
  assert.deepEqual(statuses, [200, 200, 200, 429]);
  const limited = await named("First");
  expectRefusal(limited, 429, "RATE_LIMITED");
  assert.ok(limited.headers["retry-after"], "the limit's headers are kept");
  assert.equal((await named("Second")).status, 200, "another operation has its own count");
  const id = limited.headers["x-request-id"];
  const line = await logOf(s.gw, id);
  assert.equal(line.operation, "First");
  assert.equal(line.error, "rate-limited");
});

test("graphql-http's server audit: every check that passes against the service passes through the gateway", async () => {
  const direct = await auditServer({ url: `${s.origin.url}/graphql` });
  const through = await auditServer({ url: `${s.gw.url}v1/graphql-tools` });
  const passed = new Set(direct.filter((r) => r.status === "ok").map((r) => r.id));
  assert.ok(passed.size >= 30, `the service passes ${passed.size} checks`);
  const lost = through.filter((r) => passed.has(r.id) && r.status !== "ok");
  assert.deepEqual(lost.map((r) => `${r.id} ${r.name}: ${r.reason}`), []);
});

// REST in front of GraphQL: routes run stored operations (routes/graphql/library/).
test("a REST GET runs the stored operation with the path parameter and answers its data", async () => {
  const before = s.origin.graphqlCalls.length;
  const res = await request(s.gw, "GET", "/v1/library/books/3");
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers["content-type"], "application/json");
  assert.deepEqual(res.json(), {
    book: { id: "3", title: "Book 3", author: { name: "Ursula" }, reviews: [{ stars: 5 }, { stars: 4 }] },
  });
  const sent = s.origin.graphqlCalls[before];
  assert.equal(sent.method, "POST");
  assert.match(sent.headers["content-type"], /^application\/json/);
  const body = JSON.parse(sent.body);
  assert.equal(body.operationName, "BookWithReviews");
  assert.match(body.query, /^query BookWithReviews\(\$id: ID!, \$reviews: Int = 2\)/);
  assert.deepEqual(body.variables, { id: "3" });
});

test("query parameters set variables by name, read as the variable's type", async () => {
  const res = await request(s.gw, "GET", "/v1/library/books/3?reviews=1");
  assert.deepEqual(res.json().book.reviews, [{ stars: 5 }]);
  for (const [q, detail] of [
    ["reviews=many", /reviews must be a 32-bit integer/],
    ["nope=1", /query parameter nope is not a variable of the operation/],
    ["id=4", /id is given more than once/],
  ]) {
    const p = expectProblem(assert, await request(s.gw, "GET", `/v1/library/books/3?${q}`), 400, "invalid-body");
    assert.match(p.detail, detail, q);
  }
});

test("the stored operation's answer is the gateway's: no client validator or range reaches the origin", async () => {
  const before = s.origin.graphqlCalls.length;
  const res = await request(s.gw, "GET", "/v1/library/books/3", { headers: { "if-none-match": '"x"', range: "bytes=0-1" } });
  assert.equal(res.status, 200, res.text);
  const sent = s.origin.graphqlCalls[before].headers;
  assert.equal(sent["if-none-match"], undefined);
  assert.equal(sent.range, undefined);
});

test("the operation's errors become a problem with the status of their code", async () => {
  const p = expectProblem(assert, await request(s.gw, "GET", "/v1/library/books/missing"), 404, "graphql-errors");
  assert.equal(p.graphql_errors[0].extensions.code, "NOT_FOUND");
  assert.equal(p.detail, "the operation answered errors: no book missing");
});

test("a REST POST's JSON body sets the mutation's variables", async () => {
  const post = (body) => request(s.gw, "POST", "/v1/library/books/3/reviews", {
    headers: { "content-type": JSON_TYPE }, body: JSON.stringify(body),
  });
  const res = await post({ stars: 4 });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json(), { addReview: { stars: 4 } });
  let p = expectProblem(assert, await post({}), 400, "invalid-body");
  assert.match(p.detail, /stars is required/);
  p = expectProblem(assert, await post({ stars: 4, bookId: "9" }), 400, "invalid-body");
  assert.match(p.detail, /bookId is given more than once/);
  p = expectProblem(assert, await post({ stars: 4, query: "{ __schema { types { name } } }" }), 400, "invalid-body");
  assert.match(p.detail, /body member query is not a variable/);
});

test("a variable bound to a claim is the caller's and no one else's", async () => {
  const key = await putApiKey(s.gw, { id: "a1" });
  const headers = { "x-api-key": key };
  const res = await request(s.gw, "GET", "/v1/library/me", { headers });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json().author.name, "Ursula");
  assert.equal(res.json().author.books.length, 3);
  const p = expectProblem(assert, await request(s.gw, "GET", "/v1/library/me?viewer=a2", { headers }), 400, "invalid-body");
  assert.match(p.detail, /viewer is set by the gateway from your credential/);
  expectProblem(assert, await request(s.gw, "GET", "/v1/library/me"), 401, "unauthorized");
});

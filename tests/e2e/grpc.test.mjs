// REST/JSON to gRPC (routes/v1/catalog.toml): the gateway calls the demo catalog service
// (routes/protos/catalog.proto), served by the reference implementation
// (@connectrpc/connect-node, scripts/catalog-service.mjs) over gRPC-Web and Connect.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useGateway, request, expectProblem, openRequest, within, until } from "./harness.mjs";
import { PUBLISHED_MS, releaseStream } from "../../scripts/catalog-service.mjs";

const s = useGateway();
const get = (path, headers = {}) => request(s.gw, "GET", path, { headers });
const post = (path, body, headers = { "content-type": "application/json" }) =>
  request(s.gw, "POST", path, { headers, body: typeof body === "string" ? body : JSON.stringify(body) });

const BOOK = {
  id: "42",
  title: "Book 42",
  pages: "321",
  format: "EBOOK",
  published: new Date(PUBLISHED_MS).toISOString(),
  stock: { eu: 3, us: 0 }, // a map shows every entry, defaults included
};

for (const [protocol, base] of [["gRPC-Web", "/v1/books"], ["Connect", "/v1/books-connect"]]) {
  test(`${protocol}: a GET calls the method with the path parameter and answers its JSON`, async () => {
    const res = await get(`${base}/42`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers["content-type"], "application/json");
    assert.deepEqual(res.json(), BOOK, "proto3 JSON: int64 as a string, enum by name, RFC 3339, defaults left out");
    assert.equal(res.headers["x-book-source"], "catalog", "the listed trailer, as a header");
    assert.equal(Object.keys(res.headers).filter((h) => h.startsWith("trailer-")).length, 0);
  });

  test(`${protocol}: query parameters set fields by JSON or proto name`, async () => {
    for (const q of ["withReviews=true", "with_reviews=true"]) {
      const res = await get(`${base}/42?${q}`);
      assert.deepEqual(res.json().tags, ["reviews"], q);
    }
  });

  test(`${protocol}: a gRPC status becomes its HTTP status and a problem with the code`, async () => {
    const cases = [
      ["missing", 404, 5, "NOT_FOUND", "no book missing"],
      ["denied", 403, 7, "PERMISSION_DENIED", "not yours"],
      ["broken", 500, 13, "INTERNAL", "50% off: ünïcode\nline"],
    ];
    for (const [id, status, code, name, message] of cases) {
      const p = expectProblem(assert, await get(`${base}/${id}`), status, "grpc-status");
      assert.equal(p.grpc_code, code);
      assert.equal(p.grpc_status, name);
      assert.equal(p.detail, `the method answered ${name}: ${message}`);
    }
  });

  test(`${protocol}: a status's google.rpc.Status details reach the problem as JSON`, async () => {
    const p = expectProblem(assert, await get(`${base}/bad-id`), 400, "grpc-status");
    assert.equal(p.grpc_status, "INVALID_ARGUMENT");
    assert.deepEqual(p.grpc_details, [
      { "@type": "type.googleapis.com/demo.catalog.v1.BookProblem", reason: "ids are digits", id: "bad-id" },
    ]);
  });

  test(`${protocol}: a parameter that is not a field, or of the wrong type, is a 400 naming it`, async () => {
    let p = expectProblem(assert, await get(`${base}/42?nope=1`), 400, "invalid-body");
    assert.match(p.detail, /nope is not a field of the request message/);
    p = expectProblem(assert, await get(`${base}/42?withReviews=maybe`), 400, "invalid-body");
    assert.match(p.detail, /withReviews must be true or false/);
  });
}

test("the method gets a POST with the message, gRPC headers and the upstream's deadline", async () => {
  const before = s.origin.catalogCalls.length;
  await get("/v1/books/7");
  await get("/v1/books-connect/7");
  const [web, connect] = s.origin.catalogCalls.slice(before);
  assert.equal(web["content-type"], "application/grpc-web+proto");
  assert.equal(web["grpc-timeout"], "5000m");
  assert.equal(web[":method"], "POST");
  // GetBook has no side effects: a Connect route calls it with GET, the message in the query.
  assert.equal(connect[":method"], "GET");
  assert.equal(connect["content-type"], undefined);
  assert.equal(connect["connect-timeout-ms"], "5000");
  assert.ok(web["x-request-id"] && web.traceparent, "request id and trace context flow as metadata");
});

test("a POST's JSON body is the request message; path and answer are translated", async () => {
  const res = await post("/v1/books", { book: { title: "Dune", pages: 412, tags: ["sf"], format: "PAPER" } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json(), { id: "b-Dune", title: "Dune", pages: "412", tags: ["sf"], format: "PAPER" });
  const invalid = await post("/v1/books", { book: {} });
  const p = expectProblem(assert, invalid, 400, "grpc-status");
  assert.equal(p.grpc_status, "INVALID_ARGUMENT");
});

test("bad request bodies are 400 or 415 naming the problem, never a 500", async () => {
  const cases = [
    ['{"book": {"pages": "many"}}', /book\.pages must be an integer/],
    ['{"book": {"format": "SCROLL"}}', /book\.format is not a value of demo\.catalog\.v1\.Book\.Format/],
    ['{"book": {"title": "a", "extra": 1}}', /book\.extra is not a field of this message/],
    ['{"book": {"published": "yesterday"}}', /book\.published must be an RFC 3339 timestamp/],
    ["[1, 2]", /must be a JSON object/],
    ["{not json", /invalid/],
    ['{"book": {"title": "a", "title": "b"}}', /twice|duplicate/],
  ];
  for (const [body, detail] of cases) {
    const p = expectProblem(assert, await post("/v1/books", body), 400, "invalid-body");
    assert.match(p.detail, detail, body);
  }
  expectProblem(assert, await post("/v1/books", "title=x", { "content-type": "application/x-www-form-urlencoded" }), 415, "unsupported-media-type");
});

test("the translated answer passes the route's policies: a response transform, then the cache", async () => {
  const before = s.origin.catalogCalls.length;
  const first = await get("/v1/books-cached/9");
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json().stock, undefined, "the transform removed /stock");
  assert.equal(first.json().title, "Book 9");
  assert.match(first.headers["cache-status"], /fwd=uri-miss; fwd-status=200; stored/);
  let again;
  await until(async () => /; hit;/.test((again = await get("/v1/books-cached/9")).headers["cache-status"]), "a hit");
  assert.deepEqual(again.json(), first.json(), "the stored JSON, filtered");
  assert.equal(s.origin.catalogCalls.length - before, 1, "the method was called once");
  const missing = await get("/v1/books-cached/missing");
  assert.equal(missing.status, 404);
  assert.equal((await get("/v1/books-cached/missing")).status, 404);
  assert.equal(s.origin.catalogCalls.length - before, 3, "a failed call is never stored");
});

test("a static fallback's JSON reaches the client as it is", async () => {
  const res = await get("/v1/books-fallback/1");
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json(), { degraded: true });
  assert.equal(res.headers["x-gatehouse-fallback"], "static");
});

test("the gateway's own query parameters (here the API version) are never bound to the message", async () => {
  const res = await get("/v1/books/42?api-version=v1&withReviews=true");
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json().tags, ["reviews"]);
});

test("client encodings never reach the method: the gateway's body is read as it was built", async () => {
  const before = s.origin.catalogCalls.length;
  const res = await request(s.gw, "POST", "/v1/books", {
    headers: { "content-type": "application/json", "x-client-note": "kept" },
    body: JSON.stringify({ book: { title: "Emma" } }),
  });
  assert.equal(res.status, 200, res.text);
  const call = s.origin.catalogCalls[before];
  for (const name of ["content-encoding", "grpc-encoding", "connect-content-encoding", "grpc-accept-encoding"]) {
    assert.equal(call[name], undefined, name);
  }
  assert.equal(call["x-client-note"], "kept", "other headers pass as metadata");
});

// Server streaming: each message is sent on as it arrives.
for (const [protocol, base] of [["gRPC-Web", "/v1/book-list"], ["Connect", "/v1/book-list-connect"]]) {
  test(`${protocol}: a server stream answers one JSON line per message`, async () => {
    const res = await get(`${base}?count=3`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers["content-type"], "application/x-ndjson");
    const lines = res.text.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((b) => b.title), ["Book 1", "Book 2", "Book 3"]);
    assert.equal(lines[0].format, "PAPER");
  });

  test(`${protocol}: a client that accepts text/event-stream gets server-sent events`, async () => {
    const res = await get(`${base}?count=2`, { accept: "text/event-stream" });
    assert.equal(res.headers["content-type"], "text/event-stream");
    assert.equal(res.text, 'data: {"format":"PAPER","id":"1","title":"Book 1"}\n\ndata: {"format":"PAPER","id":"2","title":"Book 2"}\n\n');
  });

  test(`${protocol}: a stream that fails after some messages ends with an error line`, async () => {
    const res = await get(`${base}?count=2&fail=ResourceExhausted`);
    const lines = res.text.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    assert.deepEqual(lines[2], { error: { code: 8, status: "RESOURCE_EXHAUSTED", message: "stopped after 2" } });
    const sse = await get(`${base}?count=0&fail=NotFound`, { accept: "text/event-stream" });
    assert.equal(sse.text, 'event: error\ndata: {"error":{"code":5,"message":"stopped after 0","status":"NOT_FOUND"}}\n\n');
  });

  test(`${protocol}: the first message reaches the client before the stream ends (nothing buffered)`, async () => {
    const hold = `h-${protocol}-${Date.now()}`;
    const req = openRequest(s.gw, "GET", `${base}?count=2&hold=${hold}`);
    const first = new Promise((resolve, reject) => {
      req.on("response", (res) => {
        let text = "";
        res.on("data", (c) => {
          text += c;
          if (text.includes("\n")) resolve({ res, text });
        });
      });
      req.on("error", reject);
    });
    req.end();
    const { res, text } = await within(5000, first, "the first line");
    assert.equal(JSON.parse(text.split("\n")[0]).title, "Book 1");
    const rest = new Promise((resolve) => {
      let more = text;
      res.on("data", (c) => (more += c));
      res.on("end", () => resolve(more));
    });
    releaseStream(hold);
    const all = (await rest).trim().split("\n");
    assert.equal(all.length, 2);
  });
}

// Routes made from the service's google.api.http options ([[grpc_routes]] in routes/v1/catalog.toml).
test("google.api.http: a GET binding calls the method with the path's field", async () => {
  const res = await get("/v1/shelf/books/42?withReviews=true");
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json(), { ...BOOK, tags: ["reviews"] });
});

test("google.api.http: an additional binding with {id=**} takes the rest of the path", async () => {
  const res = await get("/v1/shelf/by-path/a/b");
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json().id, "a/b");
});

test("google.api.http: body: \"book\" makes the JSON body that field of the message", async () => {
  const res = await post("/v1/shelf/books", { title: "Dune", pages: "412" });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json(), { id: "b-Dune", title: "Dune", pages: "412" });
});

test("google.api.http: a streaming method's binding streams", async () => {
  const res = await get("/v1/shelf/books?count=2");
  assert.equal(res.headers["content-type"], "application/x-ndjson");
  assert.equal(res.text.trim().split("\n").length, 2);
});

test("every gRPC status code becomes its HTTP status and name", async () => {
  const table = [
    [1, 499, "CANCELLED"], [2, 500, "UNKNOWN"], [3, 400, "INVALID_ARGUMENT"], [4, 504, "DEADLINE_EXCEEDED"],
    [5, 404, "NOT_FOUND"], [6, 409, "ALREADY_EXISTS"], [7, 403, "PERMISSION_DENIED"], [8, 429, "RESOURCE_EXHAUSTED"],
    [9, 400, "FAILED_PRECONDITION"], [10, 409, "ABORTED"], [11, 400, "OUT_OF_RANGE"], [12, 501, "UNIMPLEMENTED"],
    [13, 500, "INTERNAL"], [14, 503, "UNAVAILABLE"], [15, 500, "DATA_LOSS"], [16, 401, "UNAUTHENTICATED"],
  ];
  for (const base of ["/v1/books", "/v1/books-connect"]) {
    for (const [code, status, name] of table) {
      const p = expectProblem(assert, await get(`${base}/code-${code}`), status, "grpc-status");
      assert.equal(p.grpc_code, code, `${base} code ${code}`);
      assert.equal(p.grpc_status, name);
    }
  }
});

test("every well-known type goes through the method and back in its JSON form", async () => {
  const kitchen = {
    at: "2026-01-02T03:04:05.600Z",
    took: "1.500s",
    mask: "title,author.name",
    meta: { a: 1, b: [true, null, "x"], c: { d: "e" } },
    anyValue: "text",
    list: [1, "two", false],
    big: "9007199254740993",
    note: "",
    flag: false,
    raw: "AQID",
    ratio: 0.25,
    nothing: {},
    packed: { "@type": "type.googleapis.com/demo.catalog.v1.BookProblem", reason: "r", id: "1" },
    small: 7,
    f: 1.5,
    i: -3,
    u: "18446744073709551615",
  };
  const res = await post("/v1/kitchen", kitchen);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json(), kitchen);
  const wkt = { packed: { "@type": "type.googleapis.com/google.protobuf.Duration", value: "2s" } };
  assert.deepEqual((await post("/v1/kitchen", wkt)).json(), wkt, "an Any holding a well-known type");
});

test("the upstream's timeout is the call's deadline: a slower method is 504", async () => {
  const ok = await get("/v1/wait?ms=10");
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.json(), {});
  const res = await get("/v1/wait?ms=5000");
  assert.equal(res.status, 504, res.text);
  assert.match(res.json().type, /:(grpc-status|upstream-timeout)$/);
});

test("a body bound to a field must be JSON too (no cross-site form posts)", async () => {
  const res = await post("/v1/shelf/books", '{"title":"x"}', { "content-type": "text/plain" });
  expectProblem(assert, res, 415, "unsupported-media-type");
});

test("a path parameter cannot smuggle a slash or a dot segment into the message", async () => {
  for (const id of ["1%2F..%2Fadmin", "1%2F2", "%2e%2e", "a%0Ab"]) {
    // Refused by path normalisation (400, or 404 once `..` removes the segment) or by the call.
    const res = await get(`/v1/books/${id}`);
    assert.ok([400, 404].includes(res.status), `${id}: ${res.text}`);
    assert.match(res.json().type, /:(bad-path|invalid-body|route-not-found)$/, id);
  }
});

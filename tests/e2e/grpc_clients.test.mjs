// gRPC-Web and Connect clients through the gateway (route v1-catalog-rpc): the reference
// clients (@connectrpc/connect-node) call the demo catalog service with the route's API key
// policy applied, and every refusal is written in the shape those clients read (checked on the
// wire: a refusal is sent before the request body is read, and workerd then closes the
// connection, so a client still writing its body sees EPIPE before it reads the answer).
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { createClient, ConnectError, Code } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { useGateway, request, putApiKey } from "./harness.mjs";
import { Catalog } from "../../scripts/catalog-service.mjs";

const s = useGateway();
const KEY = crypto.randomBytes(32).toString("base64url");

/** Stores the client's key in the gateway's KV (once). */
let stored;
const keyStored = () =>
  (stored ??= putApiKey(s.gw, { id: "rpc-client" }, { key: KEY }));

// One connection per call (no keep-alive): a refusal is sent before the request body is read,
// and a reused socket the server has closed would fail the next call for the test's sake.
const options = () => ({ baseUrl: `${s.gw.url}v1`, httpVersion: "1.1", nodeOptions: { agent: false } });
const transports = {
  "gRPC-Web": () => createGrpcWebTransport(options()),
  "Connect (binary)": () => createConnectTransport({ ...options(), useBinaryFormat: true }),
  "Connect (JSON)": () => createConnectTransport(options()),
};

/** The code a call fails with (or "ok"). */
async function codeOf(call) {
  try {
    await call();
    return "ok";
  } catch (e) {
    assert.ok(e instanceof ConnectError, String(e));
    return e.code;
  }
}

for (const [name, transport] of Object.entries(transports)) {
  test(`${name}: a client with the key calls through the gateway`, async () => {
    await keyStored();
    const client = createClient(Catalog, transport());
    const book = await client.getBook({ id: "7" }, { headers: { "x-api-key": KEY } });
    assert.equal(book.title, "Book 7");
    assert.equal(book.pages, 321n);
  });

  test(`${name}: the method's own errors reach the client as they are`, async () => {
    await keyStored();
    const client = createClient(Catalog, transport());
    assert.equal(await codeOf(() => client.getBook({ id: "missing" }, { headers: { "x-api-key": KEY } })), Code.NotFound);
  });
}

test("gRPC-Web refusals are trailers-only answers; Connect refusals are Connect error JSON (unary) or an end-of-stream message (streams)", async () => {
  const web = await request(s.gw, "POST", "/v1/demo.catalog.v1.Catalog/GetBook", {
    headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
    body: Buffer.from([0, 0, 0, 0, 0]),
  });
  assert.equal(web.status, 200);
  assert.equal(web.headers["content-type"], "application/grpc-web+proto");
  assert.equal(web.headers["grpc-status"], "16");
  assert.equal(web.headers["grpc-message"], "no credentials in the request");
  assert.equal(web.text, "");
  const connect = await request(s.gw, "POST", "/v1/demo.catalog.v1.Catalog/GetBook", {
    headers: { "content-type": "application/json", "connect-protocol-version": "1" },
    body: "{}",
  });
  assert.equal(connect.status, 401);
  assert.equal(connect.headers["content-type"], "application/json");
  assert.equal(connect.json().code, "unauthenticated");
  // A Connect streaming call's refusal is its end-of-stream message (flag 2, length, error JSON).
  const stream = await request(s.gw, "POST", "/v1/demo.catalog.v1.Catalog/ListBooks", {
    headers: { "content-type": "application/connect+json" },
    body: Buffer.concat([Buffer.from([0, 0, 0, 0, 2]), Buffer.from("{}")]),
  });
  assert.equal(stream.status, 200);
  assert.equal(stream.headers["content-type"], "application/connect+json");
  assert.equal(stream.text.charCodeAt(0), 2, "an end-of-stream message");
  const end = JSON.parse(stream.text.slice(5));
  assert.deepEqual(end, { error: { code: "unauthenticated", message: "no credentials in the request" } });
  const unknown = await request(s.gw, "POST", "/v1/demo.catalog.v1.Nope/Get", {
    headers: { "content-type": "application/grpc-web+proto" },
    body: Buffer.from([0, 0, 0, 0, 0]),
  });
  assert.equal(unknown.headers["grpc-status"], "12", "no route: UNIMPLEMENTED");
  const plain = await request(s.gw, "POST", "/v1/demo.catalog.v1.Catalog/GetBook", { body: "{}" });
  assert.equal(plain.headers["content-type"], "application/problem+json", "everyone else still gets problem+json");
});

// WebSocket routes: the handshake reaches the origin with its Upgrade headers and frames flow
// both ways through the gateway. Routes without `websocket = true` strip Upgrade.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { encodeFrame, decodeFrame } from "../../scripts/demo-origin.mjs";
import { useGateway, openRequest, within } from "./harness.mjs";

const s = useGateway();

const handshake = () => ({
  connection: "Upgrade",
  upgrade: "websocket",
  "sec-websocket-version": "13",
  "sec-websocket-key": crypto.randomBytes(16).toString("base64"),
});

test("a websocket route upgrades and echoes frames through the gateway", async () => {
  const req = openRequest(s.gw, "GET", "/v1/live", handshake());
  const upgraded = new Promise((resolve, reject) => {
    req.on("upgrade", (res, socket) => resolve({ res, socket }));
    req.on("response", (res) => reject(new Error(`expected 101, got ${res.statusCode}`)));
    req.on("error", reject);
  });
  req.end();
  const { res, socket } = await within(10000, upgraded, "websocket upgrade");
  assert.equal(res.statusCode, 101);
  const reply = new Promise((resolve) => socket.once("data", (d) => resolve(decodeFrame(d))));
  socket.write(encodeFrame("hello", true));
  assert.equal(await within(10000, reply, "echoed frame"), "echo:hello");
  socket.destroy();
  const seen = s.origin.received.find((r) => r.upgrade);
  assert.equal(seen.path, "/internal/live");
  assert.equal(seen.headers.upgrade, "websocket");
});

test("a route without websocket = true does not pass Upgrade to the origin", async () => {
  const req = openRequest(s.gw, "GET", "/v1/users/1", handshake());
  const res = await new Promise((resolve, reject) => {
    req.on("response", resolve);
    req.on("upgrade", () => reject(new Error("must not upgrade")));
    req.on("error", reject);
    req.end();
  });
  res.resume();
  assert.equal(res.statusCode, 200);
  const seen = s.origin.received.at(-1);
  assert.equal(seen.path, "/internal/users/1");
  assert.equal(seen.upgrade, undefined);
  assert.equal(seen.headers.upgrade, undefined);
});

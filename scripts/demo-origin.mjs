// A small HTTP origin on loopback: the demo origin for `make dev` and the recording origin of
// the end-to-end tests. It answers JSON describing what it received and records every request;
// the example resources the book (docs/src) shows (users, orders, recommendations, profiles, the catalog...)
// answer realistic JSON instead (scripts/demo-data.mjs).
//
//   node scripts/demo-origin.mjs [port]     (default 9001; prints one line per request)
//
// Paths with behaviour:
//   /slow                 answers after 3 s (its record gets abandoned: true if the caller gives up)
//   /demo.catalog.v1.Catalog/* the demo gRPC service (Connect and gRPC-Web, scripts/catalog-service.mjs)
//   /graphql              the demo GraphQL service (graphql-js over graphql-http, scripts/graphql-service.mjs)
//   /internal/redirect    302 to /internal/elsewhere (the gateway must not follow it)
//   /internal/upload      reads the body, answers its byte count and SHA-256
//   /internal/big?bytes=N streams N bytes of text back in chunks; with &hold=ID it sends the
//                         first chunk, then waits for origin.release(ID) (streaming tests)
//   /internal/cacheable/* answers with ?cc= as Cache-Control, ?vary= as Vary, ?cookie=1 a
//                         Set-Cookie, ?tag= as Cache-Tag, ?expires=N (or "bad") an Expires, a fixed ETag and Last-Modified (LAST_MODIFIED), and `n` = requests so far;
//                         ?pad=N N more bytes of body, ?h.<name>=v any header (?h304.<name>=v on 304s only), ?status=N;
//                         ?cc2= the Cache-Control from the second request on; ?chunked=1 no Content-Length;
//                         ?nv=1 no ETag nor Last-Modified; If-None-Match: "v1" (or If-Modified-Since:
//                         its Last-Modified) gets a 304
// origin.fail(path) makes that path answer 503 until origin.recover(path).
// origin.cut lists requests whose connection closed before their body ended (never in received).
// origin.firstBytes(path) resolves when the first request-body bytes for that path arrive,
// before the body has ended (streaming tests).
// Every response also carries hop-by-hop headers the gateway must strip.
import http from "node:http";
import crypto from "node:crypto";
import { pathToFileURL } from "node:url";
import { catalogHandler, CATALOG_PREFIX } from "./catalog-service.mjs";
import { graphqlHandler, GRAPHQL_PATH } from "./graphql-service.mjs";
import { demoAnswer } from "./demo-data.mjs";

/** Request bodies the demo resources read (POST /profile/*) are kept up to this many bytes. */
const KEPT_BODY_BYTES = 64 * 1024;

/** The fixed Last-Modified of /internal/cacheable/*: midnight UTC 14 days before the origin
 * module loaded (in the past whatever today is, so no conditional date on it is "the future"). */
export const LAST_MODIFIED = new Date((Math.floor(Date.now() / 86_400_000) - 14) * 86_400_000).toUTCString();

/**
 * Starts the origin. `log` (a function) gets one line per request, `METHOD path?query`: the
 * path as the origin received it, after the gateway's rewrites and transforms.
 */
export function startOrigin(port = 0, host = "127.0.0.1", { log } = {}) {
  const received = [];
  const cut = [];               // requests whose body ended without its end (the caller's connection cut)
  const held = new Map();       // hold id -> release function
  const failing = new Set();    // paths answered 503 until recovered (origin.fail / recover)
  const bodyWaiters = new Map(); // path -> resolve function
  const catalogCalls = [];
  const catalog = catalogHandler((headers, method) =>
    catalogCalls.push({ ...Object.fromEntries(headers), ...(method ? { ":method": method } : {}) }));
  const graphqlCalls = [];
  const graphql = graphqlHandler((call) => graphqlCalls.push(call));
  const server = http.createServer((req, res) => {
    // The demo gRPC service (Connect and gRPC-Web): routes/v1/catalog.toml.
    if (req.url.startsWith(CATALOG_PREFIX)) return catalog(req, res);
    // The demo GraphQL service (graphql-js over graphql-http): routes/v1/graphql.toml.
    if (req.url === GRAPHQL_PATH || req.url.startsWith(GRAPHQL_PATH + "?")) return graphql(req, res);
    const hash = crypto.createHash("sha256");
    let bytes = 0;
    const kept = [];
    const keep = req.url.startsWith("/profile/");
    req.on("data", (chunk) => {
      if (keep && bytes + chunk.length <= KEPT_BODY_BYTES) kept.push(chunk);
      if (bytes === 0) {
        const path = new URL(req.url, "http://origin").pathname;
        bodyWaiters.get(path)?.();
        bodyWaiters.delete(path);
      }
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on("aborted", () => cut.push({ method: req.method, path: new URL(req.url, "http://origin").pathname, bodyBytes: bytes }));
    req.on("end", () => {
      const url = new URL(req.url, "http://origin");
      const record = { method: req.method, url: req.url, path: url.pathname, query: url.search,
        headers: req.headers, bodyBytes: bytes, bodySha256: hash.digest("hex") };
      received.push(record);
      log?.(`${req.method} ${req.url}`);
      const hop = { "connection": "x-origin-hop", "x-origin-hop": "secret", "keep-alive": "timeout=5",
        "x-powered-by": "node-demo" };
      if (url.pathname === "/slow") {
        const timer = setTimeout(() => { res.writeHead(200, { "content-type": "application/json" }); res.end("{\"slow\":true}"); }, 3000);
        // A caller that gives up closes the connection first: the record says so.
        res.on("close", () => {
          if (res.writableFinished) return;
          clearTimeout(timer);
          record.abandoned = true;
        });
        return;
      }
      if (url.pathname === "/internal/redirect") {
        res.writeHead(302, { ...hop, location: "/internal/elsewhere" });
        res.end();
        return;
      }
      if (url.pathname === "/internal/big") {
        const total = Number(url.searchParams.get("bytes") || 1048576);
        res.writeHead(200, { ...hop, "content-type": "text/plain" });
        const chunk = Buffer.alloc(65536, "x");
        const hold = url.searchParams.get("hold");
        let sent = 0;
        const pump = () => {
          while (sent < total) {
            const n = Math.min(chunk.length, total - sent);
            sent += n;
            if (!res.write(chunk.subarray(0, n))) return res.once("drain", pump);
          }
          res.end();
        };
        if (hold) {
          sent = Math.min(chunk.length, total);
          res.write(chunk.subarray(0, sent));
          held.set(hold, pump);
          return;
        }
        pump();
        return;
      }
      if (failing.has(url.pathname)) {
        res.writeHead(503, { "content-type": "text/plain" });
        res.end("down");
        return;
      }
      if (url.pathname.startsWith("/internal/cacheable/")) {
        // Caching tests: the query says which caching headers to answer with; `n` counts the
        // requests this path has had, so a cached copy shows an old n.
        const q = url.searchParams;
        const h = { ...hop, "content-type": "application/json", etag: '"v1"', "last-modified": LAST_MODIFIED };
        if (q.get("nv")) { delete h.etag; delete h["last-modified"]; } // ?nv=1: no validators
        if (q.get("noetag")) delete h.etag; // ?noetag=1: Last-Modified only
        const n = received.filter((r) => r.path === url.pathname).length;
        // ?cc2= replaces ?cc= from the second request on (a refreshed entry's freshness).
        if (q.get("cc")) h["cache-control"] = n > 1 && q.get("cc2") ? q.get("cc2") : q.get("cc");
        if (q.get("vary")) h.vary = q.get("vary");
        if (q.get("cookie")) h["set-cookie"] = "session=abc";
        if (q.get("tag")) h["cache-tag"] = q.get("tag");
        if (q.get("acao")) h["access-control-allow-origin"] = q.get("acao");
        // ?h.<name>=value adds any response header; ?h304.<name>=value one on 304s only.
        const h304 = {};
        for (const [name, value] of q) {
          if (name.startsWith("h.")) h[name.slice(2)] = value;
          if (name.startsWith("h304.")) h304[name.slice(5)] = value;
        }
        if (q.get("expires")) {
          h.date = new Date().toUTCString();
          h.expires = q.get("expires") === "bad" ? "0" : new Date(Date.now() + Number(q.get("expires")) * 1000).toUTCString();
        }
        const conditional = (req.headers["if-none-match"] === '"v1"' || req.headers["if-none-match"] === "*") || req.headers["if-modified-since"] === h["last-modified"];
        if (conditional && !q.get("nv")) {
          res.writeHead(304, { ...(h.etag ? { etag: h.etag } : {}), ...(h["cache-control"] ? { "cache-control": h["cache-control"] } : {}), ...h304 });
          res.end();
          return;
        }
        res.writeHead(Number(q.get("status") || 200), h);
        const body = JSON.stringify({ ...record, n, ...(q.get("pad") ? { pad: "x".repeat(Number(q.get("pad"))) } : {}) });
        if (q.get("chunked")) { res.write(body); return res.end(); } // ?chunked=1: no Content-Length
        res.end(body);
        return;
      }
      const demo = demoAnswer(req.method, url, req.headers, Buffer.concat(kept).toString());
      res.writeHead(demo?.status ?? 200, { ...hop, "content-type": "application/json" });
      res.end(JSON.stringify(demo ? demo.json : record));
    });
  });
  // WebSocket: completes the handshake on /internal/live and echoes each text frame back
  // prefixed with "echo:" (just enough of RFC 6455 for tests and the demo).
  server.on("upgrade", (req, socket) => {
    received.push({ method: req.method, url: req.url, path: new URL(req.url, "http://origin").pathname,
      headers: req.headers, upgrade: true });
    const key = req.headers["sec-websocket-key"];
    if (!key || req.headers.upgrade?.toLowerCase() !== "websocket") return socket.destroy();
    const accept = crypto.createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on("data", (buf) => {
      const text = decodeFrame(buf);
      if (text !== null) socket.write(encodeFrame("echo:" + text, false));
    });
    socket.on("error", () => {});
  });
  return new Promise((resolve) => {
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolve({ server, port: actual, url: `http://${host}:${actual}`, received, cut,
        release: (id) => { held.get(id)?.(); held.delete(id); },
        firstBytes: (path) => new Promise((r) => bodyWaiters.set(path, r)),
        fail: (path) => failing.add(path), recover: (path) => failing.delete(path),
        catalogCalls, graphqlCalls,
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) });
    });
  });
}

/** Encodes a single text frame (client frames must be masked). */
export function encodeFrame(text, masked) {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error("demo frames are short");
  const head = Buffer.from([0x81, (masked ? 0x80 : 0) | payload.length]);
  if (!masked) return Buffer.concat([head, payload]);
  const mask = crypto.randomBytes(4);
  return Buffer.concat([head, mask, payload.map((b, i) => b ^ mask[i % 4])]);
}

/** Decodes a single short text frame; null for anything else. */
export function decodeFrame(buf) {
  if (buf.length < 2 || (buf[0] & 0x0f) !== 1) return null;
  const len = buf[1] & 0x7f;
  if (len > 125) return null;
  if (buf[1] & 0x80) {
    const mask = buf.subarray(2, 6);
    return Buffer.from(buf.subarray(6, 6 + len).map((b, i) => b ^ mask[i % 4])).toString();
  }
  return buf.subarray(2, 2 + len).toString();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.argv[2] || 9001);
  const origin = await startOrigin(port, "127.0.0.1", { log: (line) => console.log(`[demo-origin] ${line}`) });
  console.log(`[demo-origin] listening on ${origin.url}`);
}

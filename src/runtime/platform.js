// Thin JS adapters for the hot path. Each does in one call what would otherwise take several
// wasm <-> JS crossings; the decisions stay in Rust (see src/runtime/mod.rs).

/** Deletes every name in `names` (a JS array built once per isolate) from `headers`. */
export function deleteAll(headers, names) {
  for (let i = 0; i < names.length; i++) headers.delete(names[i]);
}

/** Deletes every header whose name starts with `prefix`. */
export function deletePrefixed(headers, prefix) {
  const names = [];
  for (const [name] of headers) if (name.startsWith(prefix)) names.push(name);
  for (const name of names) headers.delete(name);
}

/**
 * fetch() that never follows redirects and rejects with the string "timeout" when response
 * headers take longer than `ms`. The timer is cleared once headers arrive, so the body then
 * streams without a limit. `body` is the client's stream, bytes, or null. With `service`,
 * the request goes through the service binding `env[service]` (another Worker); a missing
 * binding rejects like an unreachable origin.
 *
 * With `abort`, a timed-out fetch is aborted. Without it, it is left running: the caller
 * promises nothing else in the request waits on it, and the runtime cancels a request's
 * outstanding fetches once its answer is sent. That saves an AbortController per request,
 * about 10 us of CPU on workerd (BENCHMARKS.md, "Where S1's CPU goes").
 */
export function fetchUpstream(env, service, url, method, headers, body, ms, abort) {
  const via = service == null ? globalThis : env[service];
  if (!via || typeof via.fetch !== "function") return Promise.reject("no-binding");
  const init = { method, headers, body, redirect: "manual" };
  // A body counted against max_body brings the controller that aborts it (limitBody).
  const limit = body?.gatehouseLimit;
  const controller = limit?.abort ?? (abort ? new AbortController() : null);
  if (controller) init.signal = controller.signal;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject("timeout");
      controller?.abort();
    }, ms);
    via.fetch(url, init).then(
      (response) => {
        clearTimeout(timer);
        resolve(response);
      },
      (error) => {
        clearTimeout(timer);
        // The client's body went over max_body (limitBody aborted it): not the origin's failure.
        reject(limit?.state.over ? "over-limit" : error);
      },
    );
  });
}

/**
 * A new response with `response`'s status, status text and streamed body, and a copy of its
 * headers that can be edited (a fetched response's are immutable).
 */
export function editable(response) {
  return new Response(response.body, response);
}

/** A response made by the gateway (a problem, a cache hit): one crossing. */
export function respond(status, headers, body) {
  return new Response(body, { status, headers });
}

/** Writes `line` with console.log after the response has been handed back. */
export function logAfterResponse(ctx, line) {
  ctx.waitUntil(Promise.resolve().then(() => console.log(line)));
}

// --- Authentication adapters (see src/runtime/auth.rs) ---

// JWS alg -> [importKey algorithm, verify algorithm].
const JWS = {
  RS256: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5" }],
  RS384: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-384" }, { name: "RSASSA-PKCS1-v1_5" }],
  RS512: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" }, { name: "RSASSA-PKCS1-v1_5" }],
  PS256: [{ name: "RSA-PSS", hash: "SHA-256" }, { name: "RSA-PSS", saltLength: 32 }],
  PS384: [{ name: "RSA-PSS", hash: "SHA-384" }, { name: "RSA-PSS", saltLength: 48 }],
  PS512: [{ name: "RSA-PSS", hash: "SHA-512" }, { name: "RSA-PSS", saltLength: 64 }],
  ES256: [{ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
  EdDSA: [{ name: "Ed25519" }, { name: "Ed25519" }],
};

/** Imports a public key for verifying `alg` signatures. `data` is JWK JSON text or SPKI bytes. */
export function importVerifyKey(format, data, alg) {
  const keyData = format === "jwk" ? JSON.parse(data) : data;
  return crypto.subtle.importKey(format, keyData, JWS[alg][0], false, ["verify"]);
}

const encoder = new TextEncoder();

/** Resolves true only for a valid signature; malformed signatures resolve false. */
export function verifySignature(key, alg, signature, input) {
  return crypto.subtle.verify(JWS[alg][1], key, signature, encoder.encode(input)).catch(() => false);
}

/** `env[binding].get(key)`; rejects with "no-binding" when the KV binding does not exist. */
export function kvGet(env, binding, key) {
  const ns = env[binding];
  if (!ns || typeof ns.get !== "function") return Promise.reject("no-binding");
  return ns.get(key);
}

/** request.cf.tlsClientAuth as a plain object, or null. */
export function tlsClientAuth(request) {
  const auth = request.cf && request.cf.tlsClientAuth;
  if (!auth) return null;
  return {
    presented: auth.certPresented === "1" || auth.certPresented === true,
    verified: String(auth.certVerified ?? ""),
    subject: String(auth.certSubjectDN ?? ""),
    issuer: String(auth.certIssuerDN ?? ""),
    fingerprint: String(auth.certFingerprintSHA256 ?? ""),
    serial: String(auth.certSerial ?? ""),
  };
}

/**
 * GET `url` (timeout `ms`, the fetch aborted when it passes): {status, cacheControl, body}.
 * Rejects when unreachable.
 */
export async function fetchText(url, ms) {
  const response = await fetchUpstream(null, null, url, "GET", new Headers({ accept: "application/json" }), null, ms, true);
  return { status: response.status, cacheControl: response.headers.get("cache-control"), body: await response.text() };
}

/** Reads a stored JWKS copy from the Cache API: {body, freshUntil} or null. */
export async function cacheGetJwks(key) {
  try {
    const hit = await caches.default.match(key);
    if (!hit) return null;
    return { body: await hit.text(), freshUntil: Number(hit.headers.get("x-gatehouse-fresh-until")) };
  } catch {
    return null; // no Cache API here (plain workerd): behave as a miss
  }
}

/** Stores a JWKS copy in the Cache API for `keepSeconds`. Best effort. */
export async function cachePutJwks(key, body, freshUntil, keepSeconds) {
  try {
    const headers = { "content-type": "application/json", "cache-control": `max-age=${keepSeconds}`, "x-gatehouse-fresh-until": String(freshUntil) };
    await caches.default.put(key, new Response(body, { headers }));
  } catch {
    // no Cache API here: the per-isolate copy still works
  }
}

/** A rejection as the Rust side reads it: a string stays, an error becomes its message. */
function reason(e) {
  return typeof e === "string" ? e : String(e?.message ?? e);
}

/** What `start()` resolves, rejected with "timeout" after `ms`; other failures become strings. */
async function withTimeout(start, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject("timeout"), ms);
  });
  try {
    return await Promise.race([start(), timeout]);
  } catch (e) {
    throw reason(e);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after `ms` (a request waiting for another request's JWKS fetch). */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Asks the RATE_LIMITER Durable Object named `name` to take from its limits (`body` is the
 * JSON take request) and resolves its JSON answer. Rejects with "no-binding", "timeout"
 * (after `ms`) or the failure.
 */
export async function limiterTake(env, name, body, ms) {
  const ns = env.RATE_LIMITER;
  if (!ns || typeof ns.idFromName !== "function") throw "no-binding";
  return withTimeout(() => ns.get(ns.idFromName(name)).take(body), ms);
}

/** An admin call to the RATE_LIMITER object `name`: `peek` (its state as JSON) or `reset`. */
export async function limiterCall(env, name, method) {
  const ns = env.RATE_LIMITER;
  if (!ns || typeof ns.idFromName !== "function") throw "no-binding";
  try {
    const stub = ns.get(ns.idFromName(name));
    return String(await (method === "reset" ? stub.reset() : stub.peek()));
  } catch (e) {
    throw reason(e);
  }
}

/** One Analytics Engine data point (JSON) to the dataset bound as `binding`; fire and forget. */
export function writeDataPoint(env, binding, point) {
  try {
    env[binding]?.writeDataPoint(JSON.parse(point));
  } catch (e) {
    console.log(JSON.stringify({ level: "warn", message: `analytics write failed: ${e?.message ?? e}` }));
  }
}

/** KV binding `binding`, or throws "no-binding". */
function kv(env, binding) {
  const ns = env[binding];
  if (!ns || typeof ns.list !== "function") throw "no-binding";
  return ns;
}

/** Writes `value` under `key` with JSON `metadata`. */
export async function kvPut(env, binding, key, value, metadata) {
  try {
    await kv(env, binding).put(key, value, { metadata: JSON.parse(metadata) });
  } catch (e) {
    throw reason(e);
  }
}

/** Every key with `prefix` (all pages, at most 10,000), as JSON [{name, metadata}]. */
export async function kvList(env, binding, prefix) {
  try {
    const out = [];
    let cursor;
    do {
      const page = await kv(env, binding).list({ prefix, cursor });
      for (const k of page.keys) out.push({ name: k.name, metadata: k.metadata ?? null });
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor && out.length < 10000);
    return JSON.stringify(out);
  } catch (e) {
    throw reason(e);
  }
}

/** Deletes `key`. */
export async function kvDelete(env, binding, key) {
  try {
    await kv(env, binding).delete(key);
  } catch (e) {
    throw reason(e);
  }
}

// Fault injection for the end-to-end tests (tests/e2e/faults.test.mjs), and only for them:
// the var GATEHOUSE_TEST_CACHE_FAULT ("match", "put", or both comma-separated), which
// src/entry.js copies to globalThis.gatehouseCacheFault on each request, makes the response
// cache's Cache API match and/or put throw, as a failing Cache API does. Nothing a request
// carries can set it: only the worker's env can (wrangler.toml [vars], Miniflare bindings).
// Unset, as in production, it changes nothing.
function responseCache(op) {
  const fault = globalThis.gatehouseCacheFault;
  if (fault !== undefined && String(fault).split(",").includes(op)) {
    throw new Error(`Cache API ${op} failed (GATEHOUSE_TEST_CACHE_FAULT)`);
  }
  return caches.default;
}

/** The stored response for a cache key URL; resolves undefined when there is none. */
export function cacheMatch(url) {
  try {
    // A store of this key still running in this isolate is waited for: a request never
    // misses (or finds the older entry) because the answer before it was stored after the
    // response, in waitUntil, and has not landed yet.
    // The wait is bounded: a store that never settles (an endless origin body) costs one
    // lookup STORE_WAIT_MS, then is forgotten.
    const pending = PENDING.get(url);
    if (pending !== undefined) {
      const bounded = new Promise((resolve) => setTimeout(() => {
        if (PENDING.get(url) === pending) PENDING.delete(url); // given up on: unwedge the key
        resolve();
      }, STORE_WAIT_MS));
      return Promise.race([pending.done, bounded]).then(() => responseCache("match").match(url));
    }
    return responseCache("match").match(url);
  } catch (e) {
    return Promise.reject(e); // no await wrapper: a hit is one promise, not two
  }
}

// Stores of entries this isolate started and that have not finished: key URL -> { seq, done }.
// Stores of one key run one after the other, so the last one started is the one kept.
const PENDING = new Map();
const STORE_WAIT_MS = 1000;
// Per key URL, the number of the latest store started, or hot-tier copy dropped, in this
// isolate. A hot-tier write carries the number current when it began and is refused when
// another came in since: an older entry never replaces a newer one, and a copy Rust's index
// dropped is never written back behind its back.
// At most LATEST_MAX numbers are kept (then all are forgotten: the writes in flight are
// refused, costing a hot-tier copy, never a wrong one); 50,000 kept about 7 MiB of URLs alive
// in a soak with many distinct cached URLs (RELIABILITY.md).
const LATEST = new Map();
const LATEST_MAX = 8192;
let latestSeq = 0;

function bump(url) {
  if (LATEST.size >= LATEST_MAX) LATEST.clear();
  const seq = ++latestSeq;
  LATEST.set(url, seq);
  return seq;
}

/**
 * Stores `response` (an entry) under `url` after the response to the client is sent: in the
 * Cache API, and in this isolate's hot tier when `hot` (Rust's index, src/cache/hot.rs,
 * admitted it).
 */
export function cachePutLater(ctx, url, response, hot) {
  const seq = bump(url);
  const previous = PENDING.get(url)?.done ?? Promise.resolve();
  const done = previous.then(async () => {
    // An entry always declares its length (an origin's chunked answer, a body rebuilt after
    // a 304): hits and revalidated answers then carry the stored Content-Length.
    const entry = response.headers.has("content-length") ? response : await withLength(response);
    await Promise.all([
      responseCache("put").put(url, entry.clone()),
      hot ? hotRemember(url, entry, seq) : undefined,
    ]);
  }).catch((e) => console.log(JSON.stringify({ level: "warn", message: `cache put failed: ${e}` }))).finally(() => {
    if (PENDING.get(url)?.seq === seq) PENDING.delete(url);
  });
  PENDING.set(url, { seq, done });
  ctx.waitUntil(done);
}

// The isolate's hot tier: the bytes of the copies Rust's index (src/cache/hot.rs) admitted.
// The index decides what is kept, until when, and what is dropped for room; it tells this
// map through hotForget. (src/policy/cache/adapter.rs `lookup` states how the tier is used.)
const HOT = new Map();
const HOT_MAX_ENTRY = 64 * 1024; // cache::hot::MAX_ENTRY_BYTES: a longer body is not kept

/** The hot tier's copy of the entry under `url` as a new Response, or undefined. */
export function hotMatch(url) {
  const e = HOT.get(url);
  if (e === undefined) return undefined;
  if (PENDING.has(url)) return undefined; // a newer entry is being stored: ask the Cache API
  return new Response(e.body, { status: e.status, headers: e.headers });
}

/** How many copies and store numbers the hot tier's JS side holds (tests, the soak). */
export function hotSizes() {
  return { copies: HOT.size, numbers: LATEST.size, pending: PENDING.size };
}

/** Drops the hot tier's copy of `url`, and refuses the writes of it in flight. */
export function hotForget(url) {
  HOT.delete(url);
  bump(url);
}

/**
 * Keeps a copy of `entry` (its body read, up to HOT_MAX_ENTRY bytes) under `url`, unless
 * `url`'s number moved on from `seq` meanwhile (a newer store, or the index dropped the copy).
 */
async function hotRemember(url, entry, seq) {
  try {
    const bytes = await readBytes(entry, HOT_MAX_ENTRY);
    if (bytes === null || LATEST.get(url) !== seq) return;
    HOT.set(url, { status: entry.status, headers: [...entry.headers], body: bytes });
  } catch {
    // Not kept: the Cache API still has it.
  }
}

/** Keeps a copy of a Cache API entry the index admitted (after the response). */
export function hotRememberLater(ctx, url, entry) {
  ctx.waitUntil(hotRemember(url, entry, LATEST.get(url)));
}

/** Deletes every header whose name is not in `keep` (an array of lower-case names). */
export function keepOnly(headers, keep) {
  const drop = [];
  for (const [name] of headers) if (!keep.includes(name)) drop.push(name);
  for (const name of drop) headers.delete(name);
}

/** The CACHE_GENERATIONS object (one, named "generations"), or throws "no-binding". */
function generationsStub(env) {
  const ns = env.CACHE_GENERATIONS;
  if (!ns || typeof ns.idFromName !== "function") throw "no-binding";
  return ns.get(ns.idFromName("generations"));
}

/**
 * The purge counters as JSON; rejects after `ms` or on failure. Read through the object's
 * `fetch` rather than its `generations()` RPC method: on workerd, each isolate's once-a-second
 * RPC read stalled every request in that isolate for 50-250 ms (BENCHMARKS.md, "The latency
 * tail"); the same read as a fetch does not.
 */
export async function generationsGet(env, ms) {
  const read = async () => {
    const response = await generationsStub(env).fetch("https://cache-generations/");
    if (!response.ok) throw `status ${response.status}`;
    return response.text();
  };
  return withTimeout(read, ms);
}

/** Increments one purge counter; resolves the new counters as JSON. */
export async function generationsBump(env, key) {
  try {
    return await generationsStub(env).bump(key);
  } catch (e) {
    throw reason(e);
  }
}

/** Moves path counters (comma-separated keys); resolves the counters as JSON; rejects after `ms`. */
export async function generationsInvalidate(env, keys, ms) {
  return withTimeout(() => generationsStub(env).invalidate(keys), ms);
}

/** Deletes a Cache API entry (in this data center); resolves whether one was there. */
export function cacheDelete(url) {
  return caches.default.delete(url);
}

/**
 * The client's response for a stored entry (`status` 200 or 304; no body for 304 or HEAD):
 * one copy of its headers with the gateway's metadata header removed, the origin's
 * Cache-Control restored (or removed when it had none) and Vary restored, Age and
 * Cache-Status set. Its headers stay editable for the outbound step.
 */
export function cachedResponse(stored, status, withBody, cacheControl, vary, age, cacheStatus) {
  const out = new Response(withBody ? stored.body : null, { status, headers: stored.headers });
  const h = out.headers;
  h.delete("x-gatehouse-meta"); // src/cache/entry.rs META_HEADER
  if (cacheControl == null) h.delete("cache-control");
  else h.set("cache-control", cacheControl);
  if (vary != null) h.set("vary", vary);
  h.set("age", age);
  h.set("cache-status", cacheStatus);
  return out;
}

/** The response with its body read into memory and its Content-Length set. */
export async function withLength(resp) {
  const bytes = await resp.arrayBuffer();
  const out = new Response(bytes, { status: resp.status, headers: resp.headers });
  out.headers.set("content-length", String(bytes.byteLength));
  return out;
}

/**
 * A stored complete 200 answered for a Range: bytes `start..=end` of `len` as 206 with
 * Content-Range (the body sliced as it streams, with its length declared), or, when `start`
 * is negative, 416 with a `Content-Range` of `bytes *` over `len` and no body.
 */
export function ranged(full, start, end, len) {
  const headers = new Headers(full.headers);
  if (start < 0) {
    full.body?.cancel().catch(() => {});
    headers.set("content-range", `bytes */${len}`);
    for (const name of ["content-length", "content-type", "content-encoding", "etag", "last-modified"]) headers.delete(name);
    return new Response(null, { status: 416, headers });
  }
  let pos = 0;
  const slice = new TransformStream({
    transform(chunk, out) {
      const from = Math.max(0, start - pos);
      const to = Math.min(chunk.byteLength, end + 1 - pos);
      if (from < to) out.enqueue(chunk.subarray(from, to));
      pos += chunk.byteLength;
    },
  });
  const size = end - start + 1;
  let body = full.body.pipeThrough(slice);
  if (typeof FixedLengthStream === "function") body = body.pipeThrough(new FixedLengthStream(size));
  headers.set("content-range", `bytes ${start}-${end}/${len}`);
  headers.set("content-length", String(size));
  return new Response(body, { status: 206, headers });
}

const LINGER_BYTES = 16 << 20;
const LINGER_MS = 1000;

/**
 * Past a request body's limit: reads and drops at most 16 MiB more of it, for at most 1 s, then
 * cancels what is left - nginx's lingering close, bounded (a few ms of CPU at most). A client still sending then reads
 * its 413 rather than a reset. `wrangler dev` needs it too: its proxy fails, and holds the
 * next request, when a Worker answers before the request body is consumed (workers-sdk#15203;
 * reading the rest after the answer is not allowed); past the bounds it still does. A
 * trickled body costs its own request at most the 1 s; no other request waits on it.
 */
async function linger(reader) {
  let left = LINGER_BYTES;
  let timer;
  const expired = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ expired: true }), LINGER_MS);
  });
  try {
    while (left > 0) {
      const next = await Promise.race([reader.read(), expired]);
      if (next.done) return;
      if (next.expired) break;
      left -= next.value.byteLength;
    }
  } catch {
    return; // the client went away
  } finally {
    clearTimeout(timer);
  }
  await reader.cancel().catch(() => {});
}

/** A message's body as bytes, at most `max` (null when larger or unreadable). */
export async function readBytes(message, max) {
  if (!message.body) return new Uint8Array(0);
  const declared = message.headers.get("content-length");
  if (declared !== null && Number(declared) > max) {
    await message.body.cancel().catch(() => {});
    return null;
  }
  // A declared length is enforced by the runtime, so the native reader can be used.
  if (declared !== null && /^\d+$/.test(declared)) return new Uint8Array(await message.arrayBuffer());
  const reader = message.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      if (message instanceof Request) await linger(reader);
      else await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}

/**
 * Reads a request's or response's body as UTF-8 text, at most `max` bytes: resolves the text,
 * or null when the body is larger (reading stops there). An absent body is "".
 */
export async function readBounded(message, max) {
  if (!message.body) return "";
  // A declared length is enforced by the runtime, so the native reader can be used.
  const declared = message.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) <= max) return message.text();
  const bytes = await readBytes(message, max);
  return bytes === null ? null : new TextDecoder().decode(bytes);
}

/**
 * Passes `body` through `feed` (a Rust closure): each chunk, then null when the body ends,
 * goes in, and the text it returns goes out as UTF-8, chunk by chunk.
 */
export function transformBody(body, feed) {
  const encoder = new TextEncoder();
  const send = (controller, text) => {
    if (text) controller.enqueue(encoder.encode(text));
  };
  return body.pipeThrough(
    new TransformStream({
      transform(chunk, controller) {
        send(controller, feed(chunk));
      },
      flush(controller) {
        send(controller, feed(null));
      },
    }),
  );
}

/**
 * The number of header fields, or minus their total size (names and values; header values
 * are byte strings, one character per byte) when that is over `maxBytes`. One pass, one
 * crossing (src/http/limits.rs `HeaderTally`).
 */
export function headerTally(headers, maxBytes) {
  let n = 0;
  let bytes = 0;
  for (const [name, value] of headers) {
    n++;
    bytes += name.length + value.length;
  }
  return bytes > maxBytes ? -bytes : n;
}

/**
 * Passes `body` through, counting bytes. Past `max`, `state.over` becomes true and the fetch
 * that sends the stream is aborted (fetchUpstream takes the stream's `gatehouseLimit`), so the
 * origin sees its connection cut mid-body: it never receives the body complete. Erroring the
 * stream instead would not do: workerd then ends a chunked request body cleanly, so the origin
 * would take the bytes so far for the whole body, and reports the error as uncaught. Before the
 * abort, the client's body lingers (`linger`). Returns { body, state }.
 */
export function limitBody(body, max) {
  const state = { over: false };
  const abort = new AbortController();
  const reader = body.getReader();
  let seen = 0;
  const limited = new ReadableStream({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      seen += value.byteLength;
      if (seen > max) {
        state.over = true;
        await linger(reader);
        abort.abort(); // (a reason given here is reported as uncaught by workerd)
        return new Promise(() => {}); // nothing more: the abort cancels this stream
      }
      controller.enqueue(value);
    },
    cancel() {
      return reader.cancel();
    },
  });
  limited.gatehouseLimit = { abort, state };
  return { body: limited, state };
}

/**
 * Passes `body` through `feed` as the client reads it (src/policy/llm/relay.rs): each chunk
 * (a `Uint8Array`) is given to `feed(chunk, null)`, and the bytes it returns are sent on;
 * at the end `feed(null, null)`, if the body breaks `feed(null, "provider")`, and if the
 * client goes away `feed(null, "client")` (its return sent when there is still a reader).
 * Nothing is read ahead of the client (high-water mark 0), so nothing is buffered.
 */
export function relayBody(body, feed) {
  const reader = body.getReader();
  const send = (controller, out) => {
    if (out && out.length) controller.enqueue(out);
  };
  return new ReadableStream(
    {
      // Reads until a piece gives something to send: workerd calls pull again only after
      // an enqueue, so a pull that sent nothing would stall the stream.
      async pull(controller) {
        for (;;) {
          let r;
          try {
            r = await reader.read();
          } catch {
            send(controller, feed(null, "provider"));
            controller.close();
            return;
          }
          if (r.done) {
            send(controller, feed(null, null));
            controller.close();
            return;
          }
          const out = feed(r.value, null);
          if (out && out.length) {
            controller.enqueue(out);
            return;
          }
        }
      },
      cancel(reason) {
        feed(null, "client");
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * One Workers AI call through the AI binding `binding`: `env[binding].run(model, inputs)`,
 * with `inputs` given as JSON. Resolves `{ ok: true, body }` where `body` is a ReadableStream
 * of server-sent events when `inputs.stream` is true, else the answer as JSON text; or
 * `{ ok: false, status, message }` when the binding is missing (500) or the call fails
 * (502, with the binding's message).
 */
export async function aiRun(env, binding, model, inputs) {
  const ai = env[binding];
  if (!ai || typeof ai.run !== "function") {
    return { ok: false, status: 500, message: `the AI binding ${binding} is not bound` };
  }
  const parsed = JSON.parse(inputs);
  try {
    const out = await ai.run(model, parsed);
    if (out instanceof ReadableStream) return { ok: true, body: out };
    return { ok: true, body: JSON.stringify(out) };
  } catch (e) {
    return { ok: false, status: 502, message: String((e && e.message) || e) };
  }
}

// The Hono peer: the benchmark's route policies written the way a Workers user would with Hono
// and its middleware. It does the same per-request work as Gatehouse: route with params,
// rewrite, hop-by-hop stripping (hono/proxy), an upstream timeout, X-Forwarded-*, X-Request-Id (hono/request-id),
// W3C traceparent continue-or-start, Server-Timing (hono/timing), and one JSON access-log line
// written after the response (waitUntil).
//
// ROUTE_COUNT is set at bundle time (esbuild --define): 0 for S1/S2, 1000 for S3.
import { Hono } from "hono";
import { proxy } from "hono/proxy";
import { requestId } from "hono/request-id";
import { timing } from "hono/timing";
import { jwt } from "hono/jwt";
import { jwk } from "hono/jwk";
import { cache } from "hono/cache";
import { DurableObject } from "cloudflare:workers";

const app = new Hono();

app.use(requestId());
app.use(timing());

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// Trace context + access log.
app.use(async (c, next) => {
  const started = Date.now();
  const inbound = TRACEPARENT.exec(c.req.header("traceparent") ?? "");
  const random = crypto.getRandomValues(new Uint8Array(24));
  const traceId = inbound && !/^0+$/.test(inbound[1]) ? inbound[1] : hex(random.subarray(0, 16));
  const flags = inbound ? inbound[3] : "01";
  c.set("traceparent", `00-${traceId}-${hex(random.subarray(16))}-${flags}`);
  await next();
  const line = JSON.stringify({
    timestamp: new Date(started).toISOString(),
    request_id: c.get("requestId"),
    trace_id: traceId,
    route: c.req.routePath,
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    duration_ms: Date.now() - started,
    client_ip: c.req.header("cf-connecting-ip") ?? null,
  });
  c.executionCtx.waitUntil(Promise.resolve().then(() => console.log(line)));
});

function forward(c, path) {
  return forwardWith(c, path, c.req.header());
}

function forwardWith(c, path, headers) {
  const url = new URL(c.req.url);
  return proxy(`${c.env.ORIGIN}${path}${url.search}`, {
    ...c.req,
    headers: {
      ...headers,
      "x-forwarded-for": c.req.header("cf-connecting-ip"),
      "x-forwarded-host": c.req.header("host"),
      "x-forwarded-proto": url.protocol.slice(0, -1),
      "x-request-id": c.get("requestId"),
      traceparent: c.get("traceparent"),
      forwarded: undefined,
      "x-real-ip": undefined,
    },
    redirect: "manual",
    signal: AbortSignal.timeout(10_000), // the same upstream timeout Gatehouse's bench routes set
  });
}

app.get("/v1/users/:id", (c) => forward(c, `/internal/users/${c.req.param("id")}`));

// Authentication (A scenarios), as a Hono user writes it: hono/jwt for HS256, hono/jwk for
// public keys with the JWKS fetched once per isolate (hono/jwk alone would fetch it on every
// request), and an API-key middleware over KV. Verified identity goes upstream as a header
// after client copies are removed.
const verification = { iss: "https://id.bench/", aud: "bench" };
let jwks = null;
const jwksKeys = async (c) => {
  if (!jwks || jwks.until < Date.now()) {
    const res = await fetch(`${c.env.ORIGIN}/jwks.json`);
    jwks = { keys: (await res.json()).keys, until: Date.now() + 600_000 };
  }
  return jwks.keys;
};
const withUser = (c, path) => {
  const h = { ...c.req.header(), "x-user-id": undefined, "x-consumer-id": undefined };
  const payload = c.get("jwtPayload");
  if (payload) h["x-user-id"] = payload.sub;
  if (c.get("consumer")) h["x-consumer-id"] = c.get("consumer").id;
  return forwardWith(c, path, h);
};
const apiKey = async (c, next) => {
  const key = c.req.header("x-api-key");
  if (!key) return c.json({ error: "missing API key" }, 401);
  const hash = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key))));
  const record = await c.env.API_KEYS.get(`sha256:${hash}`, { type: "json", cacheTtl: 60 });
  if (!record || !record.enabled || (record.expires_at && Date.parse(record.expires_at) <= Date.now())) {
    return c.json({ error: "invalid API key" }, 401);
  }
  c.set("consumer", record);
  await next();
};
// Hono has no verified-token cache: its "-nocache" paths are the same handlers.
for (const p of ["/v1/hs256", "/v1/hs256-nocache"]) {
  app.get(`${p}/users/:id`, (c, next) => jwt({ secret: c.env.JWT_SECRET, alg: "HS256", verification })(c, next),
    (c) => withUser(c, `/internal/users/${c.req.param("id")}`));
}
for (const p of ["/v1/jwt", "/v1/jwt-nocache"]) {
  app.get(`${p}/users/:id`, jwk({ keys: jwksKeys, alg: ["RS256", "ES256", "EdDSA"], verification }),
    (c) => withUser(c, `/internal/users/${c.req.param("id")}`));
}
app.get("/v1/key/users/:id", apiKey, (c) => withUser(c, `/internal/users/${c.req.param("id")}`));
// Rate limiting (R scenario) as a Hono user writes it: a fixed-window counter in a Durable
// Object per client, called over RPC on every request, with the IETF RateLimit fields set.
export class Limiter extends DurableObject {
  async take(limit, windowMs) {
    const now = Date.now();
    const start = now - (now % windowMs);
    let w = (await this.ctx.storage.get("window")) ?? { start, count: 0 };
    if (w.start !== start) w = { start, count: 0 };
    const reset = Math.ceil((start + windowMs - now) / 1000);
    if (w.count >= limit) return { allowed: false, remaining: 0, reset };
    w.count++;
    await this.ctx.storage.put("window", w);
    return { allowed: true, remaining: limit - w.count, reset };
  }
}
const rateLimit = (limit, windowMs) => async (c, next) => {
  const client = c.req.header("x-client") ?? "";
  const stub = c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(`rl|${client}`));
  const r = await stub.take(limit, windowMs);
  const fields = { "RateLimit-Policy": `"rl";q=${limit};w=${windowMs / 1000}`, RateLimit: `"rl";r=${r.remaining};t=${r.reset}` };
  if (!r.allowed) return c.json({ error: "rate limited" }, 429, { ...fields, "Retry-After": String(r.reset) });
  await next();
  for (const [k, v] of Object.entries(fields)) c.header(k, v);
};
app.get("/v1/rl/users/:id", rateLimit(1_000_000_000, 60_000), (c) => forward(c, `/internal/users/${c.req.param("id")}`));
// Caching (C scenario) as a Hono user writes it: hono/cache over the Cache API, with the same
// one-hour lifetime as Gatehouse's route.
app.get("/v1/cached/users/:id", cache({ cacheName: "bench", cacheControl: "max-age=3600", wait: true }),
  (c) => forward(c, `/internal/users/${c.req.param("id")}`));
app.post("/v1/upload", (c) => forward(c, "/internal/upload"));

// Aggregation (F1) as a Hono user writes it: Promise.all over three fetches with the request
// id and trace context, then an object merge of the same shape as Gatehouse's fan_out.
app.get("/v1/agg/:id", async (c) => {
  const id = encodeURIComponent(c.req.param("id"));
  const headers = { "x-request-id": c.get("requestId"), traceparent: c.get("traceparent") };
  const get = (path) =>
    fetch(`${c.env.ORIGIN}${path}`, { headers, signal: AbortSignal.timeout(10_000) }).then((r) => {
      if (!r.ok) throw new Error(`status ${r.status}`);
      return r.json();
    });
  try {
    const [user, orders, recs] = await Promise.all([get(`/internal/users/${id}`), get(`/internal/orders/${id}`), get(`/internal/recs/${id}`)]);
    delete user.email;
    return c.json({ user, extra: { orders }, recs: recs.roles ?? null });
  } catch (e) {
    return c.json({ error: String(e) }, 502);
  }
});

// Response transform (T1) as a Hono user writes it: fetch, reshape the JSON, answer it.
app.get("/v1/shaped/users/:id", async (c) => {
  const r = await fetch(`${c.env.ORIGIN}/internal/users/${encodeURIComponent(c.req.param("id"))}`, {
    headers: { "x-request-id": c.get("requestId"), traceparent: c.get("traceparent") },
    signal: AbortSignal.timeout(10_000),
  });
  const body = await r.json();
  body.displayName = body.name;
  delete body.name;
  delete body.roles;
  if (typeof body.email === "string") body.email = "*".repeat(Math.max(0, body.email.length - 4)) + body.email.slice(-4);
  return c.json(body, r.status);
});
for (let i = 0; i < ROUTE_COUNT; i++) {
  app.get(`/v1/svc${i}/items/:id`, (c) => forward(c, `/internal/svc${i}/items/${c.req.param("id")}`));
}

export default app;

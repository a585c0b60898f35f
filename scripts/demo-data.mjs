// The demo origin's resources: realistic JSON for the example routes the book (docs/src) shows, so that
// each documented answer is what `make dev` answers. Every other path keeps the demo origin's
// echo (JSON describing the request it received).
//
//   GET  /users/{id}              a user (the fan-out's `user` part; any id answers)
//   GET  /orders?user=&status=    a user's orders under `items` (the fan-out's `orders` part)
//   GET  /recs/{id}               recommendations for a user (the fan-out's `recommendations`)
//   GET  /wide/{id}/{n}           one panel, `{"panels": {"p<n>": ...}}` (v1-wide, deep-merged)
//   GET  /profile/{rest}          a profile with a card number and a secret (the transforms)
//   POST /profile/{rest}          the profile with the JSON body's members applied
//   GET  /internal/orders         the orders of the user the gateway names in x-user-id
//   GET  /internal/partner        data for the consumer the gateway names in x-consumer-id
//   GET  /internal/reports        the consumer's reports
//   GET  /internal/catalog        a product catalog
//   GET  /internal/search?q=      search results
//
// `demoAnswer(method, url, headers, body)` returns `{ status, json }` for these, else null.

const USERS = {
  1: { name: "Alan Turing", email: "alan@example.com" },
  7: { name: "Grace Hopper", email: "grace@example.com" },
  42: { name: "Ada Lovelace", email: "ada@example.com" },
};

const ORDERS = {
  42: [
    { id: 1001, status: "open", total: "23.50", placed: "2026-11-02" },
    { id: 1002, status: "open", total: "8.99", placed: "2026-11-20" },
    { id: 987, status: "shipped", total: "42.00", placed: "2026-10-14" },
  ],
  7: [{ id: 1003, status: "open", total: "15.00", placed: "2026-11-21" }],
  // The test IdP's default subject (`curl 127.0.0.1:9002/token`).
  alice: [{ id: 2001, status: "open", total: "31.40", placed: "2026-11-28" }],
};

const RECS = {
  42: [{ sku: "bk-1843", title: "Sketch of the Analytical Engine" }, { sku: "bk-1936", title: "On Computable Numbers" }],
  7: [{ sku: "bk-1952", title: "The Education of a Computer" }],
};

const CATALOG = [
  { sku: "bk-1843", title: "Sketch of the Analytical Engine", price: "12.00" },
  { sku: "bk-1936", title: "On Computable Numbers", price: "9.50" },
  { sku: "bk-1952", title: "The Education of a Computer", price: "11.25" },
];

/** The profile every /profile/* path answers (the transform examples edit it). */
export const PROFILE = { id: 42, name: "Ada Lovelace", card: "4111111111111111", secret: "s3" };

function user(id) {
  const known = USERS[id];
  return {
    id,
    name: known?.name ?? `User ${id}`,
    email: known?.email ?? `user${id}@example.com`,
    password_hash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$ZGVtbyBoYXNo",
  };
}

const ok = (json) => ({ status: 200, json });

/**
 * The demo resource for a request, or null when the path has none (the caller echoes).
 * `body` is the request body's text when the path reads one (POST /profile/*), else "".
 */
export function demoAnswer(method, url, headers, body) {
  const path = url.pathname;
  const q = url.searchParams;
  const read = method === "GET" || method === "HEAD";
  let m;
  if (read && (m = path.match(/^\/users\/([^/]+)$/))) return ok(user(m[1]));
  if (read && path === "/orders" && q.has("user")) {
    const status = q.get("status");
    const items = (ORDERS[q.get("user")] ?? []).filter((o) => !status || o.status === status);
    return ok({ user: q.get("user"), ...(status ? { status } : {}), items });
  }
  if (read && (m = path.match(/^\/recs\/([^/]+)$/))) return ok({ user: m[1], recs: RECS[m[1]] ?? CATALOG.slice(0, 1) });
  if (read && (m = path.match(/^\/wide\/([^/]+)\/(\d+)$/))) {
    return ok({ user: m[1], panels: { [`p${m[2]}`]: { title: `Panel ${m[2]}`, value: Number(m[2]) * 10 } } });
  }
  if (path.startsWith("/profile/")) {
    if (read) return ok(PROFILE);
    if (method === "POST") {
      let edits;
      try {
        edits = JSON.parse(body || "{}");
      } catch {
        return { status: 400, json: { error: "the body is not JSON" } };
      }
      if (typeof edits !== "object" || edits === null || Array.isArray(edits)) {
        return { status: 400, json: { error: "the body is not a JSON object" } };
      }
      return ok({ ...PROFILE, ...edits, id: PROFILE.id });
    }
  }
  if (!read) return null;
  if (path === "/internal/orders") {
    const who = headers["x-user-id"] ?? null;
    return ok({ user: who, orders: ORDERS[who] ?? [] });
  }
  if (path === "/internal/partner") {
    return ok({
      consumer: headers["x-consumer-id"] ?? null,
      plan: headers["x-consumer-plan"] ?? null,
      scopes: headers["x-scopes"] ?? null,
      data: [{ day: "2026-12-01", requests: 1200 }, { day: "2026-12-02", requests: 1315 }],
    });
  }
  if (path === "/internal/reports") {
    return ok({ consumer: headers["x-consumer-id"] ?? null, reports: [{ id: "2026-q3", title: "Q3 usage" }, { id: "2026-q4", title: "Q4 usage" }] });
  }
  if (path === "/internal/catalog") return ok({ items: CATALOG });
  if (path === "/internal/search") {
    const term = (q.get("q") ?? "").toLowerCase();
    return ok({ q: q.get("q") ?? "", results: CATALOG.filter((b) => b.title.toLowerCase().includes(term)) });
  }
  return null;
}

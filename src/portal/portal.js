// The developer portal: renders the gateway's OpenAPI document and sends real requests
// through the gateway ("try it"). Served by the worker itself; no external resources.
//
// One card per path, each listing its methods with their own details (summary, lifecycle,
// successor, auth requirement, rate limits, try it); a sidebar by version and tag; a search
// over path, summary, tags and operationId. An operation the gateway has retired (its sunset
// passed by the gateway's clock: `x-gatehouse-retired-<method>` in the document) or whose
// `x-sunset` has passed in the viewer's clock is shown as retired: the gateway answers it 410.
"use strict";

const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
};

const METHOD_ORDER = ["get", "post", "put", "patch", "delete", "options", "head", "trace"];
const HTTP_METHODS = new Set(METHOD_ORDER);
const RETIRED = "x-gatehouse-retired-";

/** The card id of a path and the element id of one of its operations. */
const cardId = (path) => `path:${path}`;
const opId = (method, path) => `op:${method}:${path}`;

/** State: the cards, the search text and the selected tag (from the URL's `#tag=` hash). */
const state = { cards: [], query: "", tag: null };

async function main() {
  const main = document.getElementById("routes");
  let doc;
  try {
    const res = await fetch("/openapi.json", { headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
    doc = await res.json();
  } catch (e) {
    main.replaceChildren(el("p", {}, `Could not load /openapi.json: ${e}`));
    return;
  }
  document.title = doc.info.title;
  document.getElementById("title").textContent = doc.info.title;
  document.getElementById("description").textContent = doc.info.description ?? "";
  const schemes = doc.components?.securitySchemes ?? {};
  const now = Date.now();

  // One card per path, grouped by version (the path's first segment when it names one).
  const versions = new Map();
  const tags = new Map();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    // `x-gatehouse-retired-<method>`: an operation past its sunset by the gateway's clock (no
    // longer an operation of the document); shown as retired like one past `x-sunset` here.
    const ops = Object.entries(item)
      .map(([key, op]) => [key.startsWith(RETIRED) ? key.slice(RETIRED.length) : key, op, key.startsWith(RETIRED)])
      .filter(([method]) => HTTP_METHODS.has(method))
      .sort(([a], [b]) => METHOD_ORDER.indexOf(a) - METHOD_ORDER.indexOf(b))
      .map(([method, op, gone]) => ({ path, method, op, gone }));
    if (!ops.length) continue;
    const first = path.split("/")[1] ?? "";
    const version = /^v\d/.test(first) ? first : "unversioned";
    const card = { path, version, ops, tags: [...new Set(ops.flatMap((o) => o.op.tags ?? []))] };
    card.text = [path, ...ops.flatMap(({ method, op }) => [method, op.summary, op.operationId, ...(op.tags ?? [])])]
      .filter(Boolean).join("\n").toLowerCase();
    card.element = pathCard(card, schemes, now);
    state.cards.push(card);
    if (!versions.has(version)) versions.set(version, []);
    versions.get(version).push(card);
    for (const t of card.tags) tags.set(t, (tags.get(t) ?? 0) + 1);
  }

  main.replaceChildren();
  const versionNav = document.getElementById("versions");
  for (const [version, cards] of [...versions].sort(([a], [b]) => a.localeCompare(b))) {
    versionNav.append(el("a", { href: `#${version}`, "data-version": version }, version, el("span", { class: "n" }, String(cards.length))));
    const section = el("section", { class: "version", id: version }, el("h2", {}, version));
    for (const c of cards) section.append(c.element);
    main.append(section);
  }
  main.append(el("p", { id: "nothing", hidden: "" }, "No path matches."));
  const tagNav = document.getElementById("tags");
  tagNav.append(el("a", { href: "#tag=", "data-tag": "" }, "all paths", el("span", { class: "n" }, String(state.cards.length))));
  for (const [t, n] of [...tags].sort(([a], [b]) => a.localeCompare(b))) {
    tagNav.append(el("a", { href: `#tag=${encodeURIComponent(t)}`, "data-tag": t }, t, el("span", { class: "n" }, String(n))));
  }
  if (!tags.size) tagNav.append(el("p", { class: "hint" }, "No route has tags."));

  const search = document.getElementById("search");
  search.addEventListener("input", () => {
    state.query = search.value;
    apply();
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
}

/** Reads the tag filter from the URL's hash (`#tag=<name>`); another hash leaves it as it is. */
function fromHash() {
  let hash = location.hash.slice(1);
  try {
    hash = decodeURIComponent(hash);
  } catch {
    // a malformed escape: used as it is
  }
  if (hash.startsWith("tag=")) {
    state.tag = hash.slice(4) || null;
    apply();
    document.getElementById("routes").scrollIntoView();
  } else {
    apply();
  }
}

/** Shows the cards that match the search (every word) and the selected tag. */
function apply() {
  const words = state.query.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const c of state.cards) {
    const visible = words.every((w) => c.text.includes(w)) && (!state.tag || c.tags.includes(state.tag));
    c.element.hidden = !visible;
    if (visible) shown++;
  }
  for (const section of document.querySelectorAll("section.version")) {
    section.hidden = !section.querySelector("article.card:not([hidden])");
  }
  for (const a of document.querySelectorAll("#tags a")) {
    a.classList.toggle("selected", (a.dataset.tag || null) === state.tag);
  }
  document.getElementById("nothing").hidden = shown > 0;
  const filters = [state.tag ? `tag "${state.tag}"` : null, words.length ? `"${state.query.trim()}"` : null].filter(Boolean);
  document.getElementById("count").textContent = `${shown} of ${state.cards.length} paths` + (filters.length ? ` (${filters.join(", ")})` : "");
}

/** Clears the filters and brings the operation `id` into view (a successor link). */
function reveal(id) {
  const target = document.getElementById(id);
  if (!target) return false;
  state.tag = null;
  state.query = "";
  document.getElementById("search").value = "";
  apply();
  target.scrollIntoView({ block: "start" });
  target.classList.add("flash");
  setTimeout(() => target.classList.remove("flash"), 1500);
  return true;
}

function pathCard(card, schemes, now) {
  const head = el("div", { class: "card-head" },
    el("span", { class: "path" }, card.path),
    ...card.ops.map(({ method }) => el("a", { class: `method-chip m-${method}`, href: `#${opId(method, card.path)}` }, method.toUpperCase())),
    ...card.tags.map((t) => el("a", { class: "badge tag", href: `#tag=${encodeURIComponent(t)}` }, t)));
  return el("article", { class: "card", id: cardId(card.path), "data-path": card.path },
    head, ...card.ops.map((o) => operation(o, schemes, now)));
}

function operation({ path, method, op, gone }, schemes, now) {
  const sunset = op["x-sunset"] ? Date.parse(op["x-sunset"]) : NaN;
  const retired = gone || (!Number.isNaN(sunset) && sunset <= now);
  const head = el("div", { class: "op-head" },
    el("span", { class: `method m-${method}` }, method.toUpperCase()),
    op.summary ? el("span", { class: "summary" }, op.summary) : el("span", { class: "summary none" }, "(no summary)"));
  if (retired) {
    head.append(el("span", { class: "badge gone", "data-state": "retired" }, "retired"));
  } else if (op.deprecated) {
    head.append(el("span", { class: "badge warn", "data-state": "deprecated" }, "deprecated"));
  }
  if (op["x-sunset"] && !retired) head.append(el("span", { class: "badge warn" }, `sunset ${op["x-sunset"]}`));
  const meta = el("div", { class: "meta" });
  if (retired) {
    meta.append(el("div", { class: "retired-note" },
      `Retired since ${op["x-sunset"]}: the gateway answers 410 Gone (api-sunset) without calling the upstream.`));
  }
  const next = op["x-gatehouse-successor"];
  if (next?.path) {
    const id = opId(next.method, next.path);
    const link = el("a", { class: "successor", href: `#${id}` }, `${next.method.toUpperCase()} ${next.path}`);
    link.addEventListener("click", (ev) => {
      if (reveal(id)) ev.preventDefault();
    });
    meta.append(el("div", {}, retired || op.deprecated ? "Use instead: " : "Successor: ", link));
  }
  meta.append(authBlock(op, schemes));
  const limits = op["x-gatehouse-rate-limits"];
  if (limits?.length) {
    const items = limits.map((l) => el("span", { class: "limit" }, limitText(l)));
    const line = el("div", { class: "limits" }, "Rate limits: ");
    items.forEach((item, i) => line.append(...(i ? ["; ", item] : [item])));
    meta.append(line);
  }
  if (op.description) meta.append(el("div", { class: "description" }, op.description));
  return el("section", {
    class: `op${retired ? " retired" : op.deprecated ? " deprecated" : ""}`,
    id: opId(method, path),
    "data-operation": op.operationId,
    "data-method": method,
  }, head, meta, tryIt(path, method.toUpperCase(), op, schemes));
}

/** The full auth requirement: credentials (alternatives), then scopes, roles and claims. */
function authBlock(op, schemes) {
  const auth = op["x-gatehouse-auth"];
  const box = el("div", { class: "auth" });
  if (!auth) {
    // A document without the extension: what the standard security requirements say.
    const alternatives = (op.security ?? []).map((req) => Object.entries(req).map(([name, scopes]) => {
      const what = schemeText(schemes[name] ?? {}, name);
      return scopes.length ? `${what} with scopes ${scopes.join(", ")}` : what;
    }).join(" and "));
    box.append(`Auth: ${alternatives.length ? alternatives.join(" or ") : "none"}`);
    return box;
  }
  const alternatives = (auth.credentials ?? []).map((alt) => alt.map(credentialText).join(" and "));
  box.append(el("div", { class: "auth-credentials" }, `Auth: ${alternatives.length ? alternatives.join(" or ") : "none"}`));
  for (const req of auth.require ?? []) {
    const list = el("ul", { class: "auth-require" });
    if (req.scopes?.length) list.append(el("li", { class: "auth-scopes" }, `Scopes (all of): ${req.scopes.join(", ")}`));
    if (req.any_scopes?.length) list.append(el("li", { class: "auth-scopes" }, `Scopes (one of): ${req.any_scopes.join(", ")}`));
    if (req.roles?.length) list.append(el("li", { class: "auth-roles" }, `Roles (one of): ${req.roles.join(", ")}`));
    if (req.claims?.length) list.append(el("li", { class: "auth-claims" }, `Claims: ${req.claims.map(claimText).join("; ")}`));
    box.append(list);
  }
  return box;
}

function schemeText(s, name) {
  if (s.type === "http") return s.bearerFormat === "JWT" ? "bearer JWT" : "bearer token";
  if (s.type === "apiKey") return `API key in ${s.in} "${s.name}"`;
  if (s.type === "mutualTLS") return "client certificate";
  return name;
}

function credentialText(c) {
  if (c.kind === "jwt") {
    const also = [c.cookie ? `cookie "${c.cookie}"` : null, c.query ? `query "${c.query}"` : null].filter(Boolean);
    const from = c.issuer ? ` from ${c.issuer}` : "";
    return `bearer JWT${from}` + (also.length ? ` (also in ${also.join(" or ")})` : "");
  }
  if (c.kind === "api_key") {
    if (c.bearer) return "API key as Authorization: Bearer";
    const where = [c.header ? `header "${c.header}"` : null, c.query ? `query "${c.query}"` : null].filter(Boolean);
    return `API key in ${where.join(" or ")}`;
  }
  if (c.kind === "mtls") return c.pinned ? "client certificate (listed certificates only)" : "client certificate";
  return c.policy;
}

function claimText(r) {
  if ("equals" in r) return `${r.claim} = ${r.equals}`;
  if ("one_of" in r) return `${r.claim} one of ${r.one_of.join(", ")}`;
  if ("contains" in r) return `${r.claim} contains ${r.contains}`;
  return r.claim;
}

function limitText(l) {
  const every = l.per ? `per UTC ${l.per}` : `per ${duration(l.window_s)}`;
  const parts = [l.algorithm ? l.algorithm.replace("_", " ") : null, l.key?.length ? `per ${l.key.join(" + ")}` : null, l.plan ? `plan ${l.plan}` : null].filter(Boolean);
  const burst = l.burst !== undefined ? `, burst ${l.burst}` : "";
  const unit = l.unit === "tokens" ? " tokens" : "";
  return `${l.name}: ${l.limit}${unit} ${every}${burst}` + (parts.length ? ` (${parts.join(", ")})` : "");
}

function duration(s) {
  if (s % 3600 === 0 && s >= 3600) return `${s / 3600}h`;
  if (s % 60 === 0 && s >= 60) return `${s / 60}min`;
  return `${s}s`;
}

function tryIt(path, method, op, schemes) {
  const form = el("form", { class: "try" });
  const params = op.parameters ?? [];
  for (const p of params) {
    form.append(el("label", {}, `${p.name} (${p.in}${p.required ? ", required" : ""})`, el("input", { name: `${p.in}:${p.name}`, "data-param": p.name })));
  }
  let body = null;
  if (op.requestBody) {
    body = el("textarea", { name: "body", rows: "5" });
    body.value = "{}";
    form.append(el("label", {}, "JSON body", body));
  }
  const result = el("div", { class: "result" });
  form.append(el("button", { type: "submit" }, "Send"), result);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    let url = path;
    const query = new URLSearchParams();
    for (const p of params) {
      const value = form.elements[`${p.in}:${p.name}`].value;
      if (p.in === "path") url = url.replace(`{${p.name}}`, encodeURIComponent(value));
      else if (p.in === "query" && value !== "") query.append(p.name, value);
    }
    const headers = {};
    const token = document.getElementById("token").value.trim();
    const key = document.getElementById("apikey").value.trim();
    // Credentials go where the route's security schemes say.
    for (const name of new Set((op.security ?? []).flatMap((req) => Object.keys(req)))) {
      const s = schemes[name] ?? {};
      // A bearer scheme that is no JWT is an API key sent as a bearer token.
      const bearer = s.bearerFormat === "JWT" ? token : key || token;
      if (s.type === "http" && bearer) headers.authorization = `Bearer ${bearer}`;
      if (s.type === "apiKey" && key && s.in === "header") headers[s.name.toLowerCase()] = key;
      if (s.type === "apiKey" && key && s.in === "query") query.append(s.name, key);
    }
    if ([...query].length) url += `?${query}`;
    if (body) headers["content-type"] = "application/json";
    result.replaceChildren(el("p", {}, `${method} ${url} ...`));
    try {
      const res = await fetch(url, { method, headers, body: body ? body.value : undefined });
      const text = await res.text();
      result.replaceChildren(show(res, text, `${method} ${url}`));
    } catch (e) {
      result.replaceChildren(el("p", {}, `The request failed: ${e}`));
    }
  });
  return el("details", {}, el("summary", {}, "Try it"), form);
}

function show(res, text, what) {
  const out = el("div", { "data-status": String(res.status) });
  out.append(el("p", {}, `${what}: `, el("span", { class: "status" }, `${res.status} ${res.statusText}`)));
  const type = res.headers.get("content-type") ?? "";
  if (type.startsWith("application/problem+json")) {
    try {
      const p = JSON.parse(text);
      const box = el("div", { class: "problem" },
        el("h4", {}, `${p.status} ${p.title}`),
        el("p", {}, p.detail ?? ""),
        el("p", { class: "meta" }, `type ${p.type}` + (p.request_id ? ` - request id ${p.request_id}` : "")));
      if (Array.isArray(p.errors)) {
        box.append(el("ul", {}, ...p.errors.map((e) => el("li", {}, el("code", {}, e.pointer || "/"), ` ${e.detail}`))));
      }
      out.append(box);
      return out;
    } catch {
      // shown raw below
    }
  }
  let shown = text;
  if (type.includes("json")) {
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* raw */ }
  }
  out.append(el("pre", {}, shown));
  return out;
}

main();

// The developer portal: renders the gateway's OpenAPI document and sends real requests
// through the gateway ("try it"). Served by the worker itself; no external resources.
"use strict";

const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
};

async function main() {
  const main = document.getElementById("routes");
  let doc;
  try {
    const res = await fetch("/openapi.json", { headers: { accept: "application/json" } });
    doc = await res.json();
  } catch (e) {
    main.replaceChildren(el("p", {}, `Could not load /openapi.json: ${e}`));
    return;
  }
  document.title = doc.info.title;
  document.getElementById("title").textContent = doc.info.title;
  document.getElementById("description").textContent = doc.info.description ?? "";
  const schemes = doc.components?.securitySchemes ?? {};
  // Group operations by version (the path's first segment when it names one).
  const groups = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      // x-gatehouse-retired-<method>: past its sunset, no longer an operation to try.
      if (method.startsWith("x-")) continue;
      const first = path.split("/")[1] ?? "";
      const version = /^v\d/.test(first) ? first : "unversioned";
      if (!groups.has(version)) groups.set(version, []);
      groups.get(version).push({ path, method: method.toUpperCase(), op });
    }
  }
  const nav = document.getElementById("versions");
  main.replaceChildren();
  for (const [version, ops] of [...groups].sort()) {
    nav.append(el("a", { href: `#${version}` }, version));
    const section = el("section", { class: "version", id: version }, el("h2", {}, version));
    for (const o of ops) section.append(operation(o, schemes));
    main.append(section);
  }
}

function operation({ path, method, op }, schemes) {
  const head = el("div", { class: "op" },
    el("span", { class: "method" }, method),
    el("span", { class: "path" }, path),
    op.summary ? el("span", {}, op.summary) : null);
  if (op.deprecated) head.append(el("span", { class: "badge warn" }, "deprecated"));
  if (op["x-sunset"]) head.append(el("span", { class: "badge warn" }, `sunset ${op["x-sunset"]}`));
  const meta = el("div", { class: "meta" });
  const auth = (op.security ?? []).map((req) => Object.entries(req).map(([name, scopes]) => {
    const s = schemes[name] ?? {};
    const what = s.type === "http" ? "bearer JWT" : s.type === "apiKey" ? `API key in ${s.in} "${s.name}"` : s.type === "mutualTLS" ? "client certificate" : name;
    return scopes.length ? `${what} with scopes ${scopes.join(", ")}` : what;
  }).join(" and "));
  meta.append(el("div", {}, `Auth: ${auth.length ? auth.join(" or ") : "none"}`));
  const limits = op["x-gatehouse-rate-limits"];
  if (limits?.length) {
    meta.append(el("div", {}, "Rate limits: " + limits.map((l) => `${l.limit} per ${l.window_s}s (${l.name}${l.plan ? `, plan ${l.plan}` : ""})`).join("; ")));
  }
  if (op.description) meta.append(el("div", {}, op.description));
  const article = el("article", { class: op.deprecated ? "deprecated" : "", "data-operation": op.operationId }, head, meta, tryIt(path, method, op, schemes));
  return article;
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
      if (s.type === "http" && token) headers.authorization = `Bearer ${token}`;
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

// An OpenAPI 3.0/3.1 document -> the files of a routes/ directory.
//
// Contract: `importDocument(doc, options)` is pure (no file system): it answers
// `{ files, notMapped, variables, version }` where `files` maps paths relative to the output
// directory (`gateway.toml`, `<version>/<group>.toml`, `schemas/<name>.json`) to their text,
// `notMapped` lists `{ pointer, reason }` for every part of the document the routes do not
// carry, and `variables` the `${VAR}`s and bindings to set before deploying. Each operation
// whose method and path the gateway can serve becomes one `[[route]]`; one that cannot is
// listed, never dropped silently. Throws `InvalidDocument` for a document that breaks the
// OpenAPI rules the import relies on (e.g. a `$ref` to nothing).

import { InvalidDocument, Resolver, checkOperation, checkServers, isObject, pointer } from "./document.mjs";
import { parameters, requestBody } from "./requests.mjs";
import { slugName } from "./names.mjs";
import { Security } from "./security.mjs";
import { Upstreams, versionOf } from "./servers.mjs";
import * as toml from "./toml.mjs";

/** How every gateway.toml the importer writes starts: `--force` replaces only such a directory. */
export const IMPORT_HEADER = "# Imported by `make import` from ";

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const PATH_ITEM_KEYS = new Set(["$ref", "summary", "description", "servers", "parameters", ...METHODS]);
const OPERATION_KEYS = new Set([
  "tags", "summary", "description", "operationId", "parameters", "requestBody", "responses",
  "security", "deprecated", "servers", "callbacks", "externalDocs",
]);
const GATEWAY_PATHS = new Set(["/openapi.json"]);

/** Characters a route path may hold besides `{` `}` (crates/config lex::is_path_char). */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

/**
 * @param {object} doc the parsed document
 * @param {{ version?: string, deprecatedAt: string, source: string }} options
 */
export function importDocument(doc, options) {
  const notMapped = [];
  const noted = new Set();
  const note = (at, reason, flags = {}) => {
    const entry = { pointer: at === "" ? "/" : at, reason, ...(flags.weaker ? { weaker: true } : {}) };
    const key = JSON.stringify(entry);
    if (!noted.has(key)) notMapped.push(entry);
    noted.add(key);
  };
  const variables = [];
  const resolver = new Resolver(doc);
  const openapi31 = doc.openapi.startsWith("3.1");
  const security = new Security(doc, resolver, note, variables);
  const upstreams = new Upstreams(slugName(doc.info.title, "api"), variables, note);
  const version = options.version ?? versionOf(doc);
  if (!/^[a-z0-9._-]+$/.test(version) || version.startsWith(".")) {
    throw new InvalidDocument(`version folder "${version}" must use a-z, 0-9, '.', '-' and '_'`);
  }

  noteTopLevel(doc, note);
  const ids = new Set();
  const routesByFile = new Map();
  const files = new Map();
  const shapes = new PathShapes();

  for (const [path, rawItem] of Object.entries(doc.paths ?? {})) {
    const itemAt = pointer("paths", path);
    const r = resolver.resolve(rawItem, itemAt);
    if (r.external) {
      note(itemAt, `path item is an external $ref (${r.external}): its operations are not imported`);
      continue;
    }
    const item = r.value;
    if (!isObject(item)) throw new InvalidDocument(`${itemAt}: a path item must be an object`);
    for (const k of Object.keys(item)) {
      if (!PATH_ITEM_KEYS.has(k)) note(itemAt + pointer(k), k.startsWith("x-") ? "extension, not carried" : `"${k}" is not carried`);
    }
    checkServers(item.servers, itemAt + "/servers");
    const pathProblem = checkPath(path);
    const ops = METHODS.filter((m) => isObject(item[m]));
    for (const method of ops) {
      const at = itemAt + pointer(method);
      const op = item[method];
      checkOperation(op, at);
      if (pathProblem) {
        note(at, `not imported: path "${path}" ${pathProblem}`);
        continue;
      }
      if (method === "trace") {
        note(at, "not imported: the gateway does not serve TRACE");
        continue;
      }
      if (method === "head" && ops.includes("get")) {
        note(at, "not imported as its own route: the GET route answers HEAD (its security and parameters are the GET's)");
        continue;
      }
      const auth =
        op.security !== undefined
          ? security.routePolicies(op.security, at + "/security")
          : security.routePolicies(doc.security, "/security");
      if (auth.refuse) {
        note(at, auth.refuse);
        continue;
      }
      const conflict = shapes.add(path);
      if (conflict) {
        note(at, `not imported: path "${path}" conflicts with "${conflict}" (the same path but for a parameter's name)`);
        continue;
      }
      if (method === "head") {
        note(at, "a HEAD-only route is served, but the gateway's OpenAPI documents leave HEAD out");
      }
      const route = buildRoute({ doc, resolver, openapi31, policies: auth.policies, upstreams, version, path, item, itemAt, method, op, at, ids, note, files, options });
      const group = groupOf(op, path);
      if (!routesByFile.has(group)) routesByFile.set(group, []);
      routesByFile.get(group).push(route);
    }
  }

  files.set("gateway.toml", gatewayToml(doc, options, upstreams, security));
  for (const [group, routes] of routesByFile) {
    files.set(`${version}/${group}.toml`, routesToml(routes, options));
  }
  return { files, notMapped, variables: dedupe(variables), version };
}

function dedupe(variables) {
  const seen = new Map();
  for (const v of variables) if (!seen.has(v.name)) seen.set(v.name, v);
  return [...seen.values()];
}

/** Why a path cannot be a route path, or undefined. */
function checkPath(path) {
  if (!path.startsWith("/")) return "does not start with '/'";
  if (path !== "/" && path.endsWith("/")) return "ends with '/' (the gateway matches paths without a trailing slash)";
  if (GATEWAY_PATHS.has(path)) return "is answered by the gateway itself";
  for (const seg of path.slice(1).split("/")) {
    if (path === "/") break;
    if (seg === "") return "contains '//'";
    if (seg === "." || seg === "..") return "contains a '.' or '..' segment";
    if ((seg.match(/\{/g) ?? []).length > 1) {
      return `has a segment ("${seg}") with more than one parameter, which the gateway's router does not match`;
    }
    const param = /^([^{}]*)\{([^{}]*)\}([^{}]*)$/.exec(seg);
    if (seg.includes("{") || seg.includes("}")) {
      if (!param || !/^[^/*]+$/.test(param[2])) return `has a malformed parameter in "${seg}"`;
      if (!PATH_CHARS.test(param[2])) return `has characters the gateway does not allow in the parameter name "${param[2]}"`;
    }
    const text = param ? param[1] + param[3] : seg;
    if (!PATH_CHARS.test(text)) return `has characters the gateway does not allow in "${seg}"`;
  }
  return undefined;
}

/** Detects paths the router refuses together: the same path but for parameter names
 * (`/users/{id}` and `/users/{name}`; OpenAPI forbids them too). */
class PathShapes {
  constructor() {
    this.byShape = new Map();
  }

  /** The earlier path `path` conflicts with, or undefined. */
  add(path) {
    const shape = path.replace(/\{[^{}]*\}/g, "{}");
    const first = this.byShape.get(shape);
    if (first !== undefined && first !== path) return first;
    this.byShape.set(shape, path);
    return undefined;
  }
}

/** The routes file an operation goes to: its first tag, else its first path segment. */
function groupOf(op, path) {
  const tag = Array.isArray(op.tags) && typeof op.tags[0] === "string" ? op.tags[0] : undefined;
  const first = path.split("/").find((s) => s && !s.startsWith("{"));
  let group = slugName(tag ?? first ?? "root", "root");
  if (group === "version") group = "version-routes";
  return group;
}

/** Route ids name schema files (`schemas/<id>.body.json`): short enough for any file system,
 * and never starting with "." (the checker skips hidden files). */
const MAX_ID = 100;

function routeId(op, method, path, ids) {
  let base =
    typeof op.operationId === "string"
      ? op.operationId.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[-.]+|-+$/g, "").slice(0, MAX_ID)
      : "";
  if (!base) {
    const slug = path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[-.]+|-+$/g, "");
    base = `${method}-${slug || "root"}`.slice(0, MAX_ID);
  }
  let id = base;
  for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
  ids.add(id);
  return id;
}

function buildRoute(c) {
  const { op, at, method, path, item, note } = c;
  for (const k of Object.keys(op)) {
    if (!OPERATION_KEYS.has(k)) note(at + pointer(k), k.startsWith("x-") ? "extension, not carried" : `"${k}" is not carried`);
  }
  if (op.responses !== undefined) note(at + "/responses", "responses are not checked by the gateway and not carried into its OpenAPI documents");
  if (op.callbacks !== undefined) note(at + "/callbacks", "callbacks are requests the upstream makes: not routes");
  if (op.externalDocs !== undefined) note(at + "/externalDocs", "documentation link, not carried");
  const id = routeId(op, method, path, c.ids);
  const route = { id, methods: [method.toUpperCase()], path };
  const servers = op.servers ?? item.servers ?? c.doc.servers;
  const serversAt = op.servers ? at + "/servers" : item.servers ? c.itemAt + "/servers" : "/servers";
  const upstream = c.upstreams.forServers(servers, serversAt, c.version);
  route.upstream = upstream.name;
  if (upstream.rewrite) route.rewrite = path;
  if (c.policies.length > 0) route.policies = c.policies;
  const summary = op.summary ?? item.summary;
  const description = op.description ?? item.description;
  if (typeof summary === "string" && summary !== "") route.summary = summary;
  if (typeof description === "string" && description !== "") route.description = description;
  if (Array.isArray(op.tags)) {
    // The checker refuses a blank tag (Rust's `trim`, which also counts U+0085 as space).
    const blank = (t) => /^[\s\u0085]*$/.test(t);
    op.tags.forEach((t, i) => blank(t) && note(at + pointer("tags", i), "a blank tag is not carried"));
    route.tags = op.tags.filter((t) => !blank(t));
  }
  if (op.deprecated === true) route.deprecated = c.options.deprecatedAt;

  const params = parameters(c);
  if (params.query) {
    const file = `schemas/${id}.query.json`;
    c.files.set(file, jsonFile(params.query));
    route.query_schema = file;
  }
  const body = requestBody(c);
  if (body) {
    const file = `schemas/${id}.body.json`;
    c.files.set(file, jsonFile(body));
    route.body_schema = file;
  }
  return route;
}

/** A schema file's text. JSON cannot carry a lone UTF-16 surrogate (the checker refuses the
 * escape), so every string, member names too, is made well-formed (U+FFFD). */
function jsonFile(value) {
  const wellFormed = (v) =>
    typeof v === "string"
      ? v.toWellFormed()
      : Array.isArray(v)
        ? v.map(wellFormed)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toWellFormed(), wellFormed(x)]))
          : v;
  return JSON.stringify(wellFormed(value), null, 2) + "\n";
}

function noteTopLevel(doc, note) {
  for (const k of Object.keys(doc)) {
    if (["openapi", "info", "paths", "servers", "components", "security", "tags"].includes(k)) continue;
    if (k === "webhooks") note("/webhooks", "webhooks are requests the API sends: not routes");
    else if (k === "externalDocs") note("/externalDocs", "documentation link, not carried");
    else if (k === "jsonSchemaDialect") note("/jsonSchemaDialect", "schemas are read as JSON Schema 2020-12");
    else note(pointer(k), k.startsWith("x-") ? "extension, not carried" : `"${k}" is not carried`);
  }
  for (const k of Object.keys(doc.info)) {
    if (!["title", "version", "description"].includes(k)) note(pointer("info", k), "not carried (the gateway's documents take only title and description)");
  }
  if (Array.isArray(doc.tags) && doc.tags.some((t) => isObject(t) && Object.keys(t).some((k) => k !== "name"))) {
    note("/tags", "tag descriptions are not carried (routes carry tag names)");
  }
}

function gatewayToml(doc, options, upstreams, security) {
  const out = [];
  out.push(toml.comment(`${IMPORT_HEADER.slice(2)}${options.source}\n(OpenAPI ${doc.openapi}, "${doc.info.title}" ${doc.info.version}). Review before deploying:\nthe not-mapped list the import printed says what this configuration does not enforce.`));
  out.push("");
  out.push("[gateway]");
  const docs = { title: doc.info.title };
  if (typeof doc.info.description === "string" && doc.info.description !== "") docs.description = doc.info.description;
  out.push(toml.members({ docs }));
  for (const up of upstreams.all) {
    out.push("", `[upstreams.${up.name}]`, toml.members({ url: up.url }));
  }
  for (const [name, p] of security.policies) {
    out.push("");
    const lines = [`${p.comment} (${p.pointer})`];
    if (p.description) lines.push(p.description.split("\n")[0]);
    if (p.table.kind === "jwt") lines.push("algorithms are the usual identity-provider choice: check yours; add `issuer` and `audiences`");
    out.push(toml.comment(lines.join("\n")));
    out.push(`[policies.${name}]`, toml.members(p.table));
  }
  return out.join("\n") + "\n";
}

function routesToml(routes) {
  const out = [];
  for (const r of routes) {
    if (out.length > 0) out.push("");
    out.push("[[route]]", toml.members(r));
  }
  return out.join("\n") + "\n";
}

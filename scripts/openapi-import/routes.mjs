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
import { SchemaFile } from "./schema.mjs";
import { Security, slugName, varName } from "./security.mjs";
import * as toml from "./toml.mjs";

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
  const note = (at, reason) => {
    const entry = { pointer: at === "" ? "/" : at, reason };
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
      const conflict = shapes.add(path);
      if (conflict) {
        note(at, `not imported: path "${path}" conflicts with "${conflict}" (the same path but for a parameter's name)`);
        continue;
      }
      if (method === "head") {
        note(at, "a HEAD-only route is served, but the gateway's OpenAPI documents leave HEAD out");
      }
      const route = buildRoute({ doc, resolver, openapi31, security, upstreams, version, path, item, itemAt, method, op, at, ids, note, files, options });
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

/** The version folder: the last segment of the first server's path when it names a version
 * (`https://api.example.com/v2` -> "v2", what clients already call), else from `info.version`
 * ("2.3.1" -> "v2"; "2024-01-15" -> "v2024-01-15"; else "v1"). */
function versionOf(doc) {
  const first = Array.isArray(doc.servers) && isObject(doc.servers[0]) ? doc.servers[0].url : undefined;
  const fromServer = typeof first === "string" ? /\/(v\d+(?:\.\d+)?)\/*$/i.exec(first) : null;
  if (fromServer) return fromServer[1].toLowerCase();
  const v = doc.info.version.trim().replace(/^v/i, "");
  const semver = /^(\d+)(?:\.\d+)*(?:[-+].*)?$/.exec(v);
  if (semver && !/^\d{4}-\d{2}-\d{2}$/.test(v)) return `v${Number(semver[1])}`;
  const slug = v.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[-.]+|-+$/g, "");
  return slug ? `v${slug}` : "v1";
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

function routeId(op, method, path, ids) {
  let base =
    typeof op.operationId === "string"
      ? op.operationId.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^-+|-+$/g, "")
      : "";
  if (!base) {
    const slug = path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^-+|-+$/g, "");
    base = `${method}-${slug || "root"}`;
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
  const policies = c.security.routePolicies(op.security ?? c.doc.security, op.security ? at + "/security" : "/security");
  if (policies.length > 0) route.policies = policies;
  const summary = op.summary ?? item.summary;
  const description = op.description ?? item.description;
  if (typeof summary === "string" && summary !== "") route.summary = summary;
  if (typeof description === "string" && description !== "") route.description = description;
  if (Array.isArray(op.tags)) route.tags = op.tags.filter((t) => typeof t === "string");
  if (op.deprecated === true) route.deprecated = c.options.deprecatedAt;

  const params = parameters(c, id);
  if (params.query) {
    const file = `schemas/${id}.query.json`;
    c.files.set(file, JSON.stringify(params.query, null, 2) + "\n");
    route.query_schema = file;
  }
  const body = requestBody(c, id);
  if (body) {
    const file = `schemas/${id}.body.json`;
    c.files.set(file, JSON.stringify(body, null, 2) + "\n");
    route.body_schema = file;
  }
  return route;
}

/** Path-level and operation-level parameters (the operation's win): path parameters are the
 * route's; query parameters become the query schema; the rest is listed. */
function parameters(c, id) {
  const { resolver, note, at, itemAt, op, item, path } = c;
  const merged = new Map();
  const collect = (list, listAt) => {
    if (list === undefined) return;
    if (!Array.isArray(list)) throw new InvalidDocument(`${listAt}: parameters must be an array`);
    list.forEach((raw, i) => {
      const pAt = listAt + pointer(i);
      const r = resolver.resolve(raw, pAt);
      if (r.external) {
        note(pAt, `parameter is an external $ref (${r.external}): not checked`);
        return;
      }
      const p = r.value;
      if (!isObject(p) || typeof p.name !== "string" || typeof p.in !== "string") {
        throw new InvalidDocument(`${pAt}: a parameter needs a string "name" and "in"`);
      }
      merged.set(`${p.in}:${p.name}`, { p, at: pAt });
    });
  };
  collect(item.parameters, itemAt + "/parameters");
  collect(op.parameters, at + "/parameters");

  const file = new SchemaFile(resolver, c.openapi31, note);
  const properties = {};
  const required = [];
  for (const { p, at: pAt } of merged.values()) {
    if (p.in === "path") {
      if (!path.includes(`{${p.name}}`)) note(pAt, `path parameter "${p.name}" is not in the path "${path}"`);
      else note(pAt + "/schema", "path parameters are matched as text: their schema is not checked by the gateway");
      continue;
    }
    if (p.in !== "query") {
      note(pAt, `${p.in} parameters are not checked by the gateway (only the query and the body are)`);
      continue;
    }
    if (p.content !== undefined || p.schema === undefined) {
      note(pAt, "a query parameter described by content (not schema) is not checked");
      if (p.required === true) required.push(p.name);
      continue;
    }
    const sr = resolver.resolve(p.schema, pAt + "/schema");
    const schema = sr.external ? undefined : sr.value;
    const style = p.style ?? "form";
    const explode = p.explode ?? style === "form";
    const types = schema && [].concat(schema.type ?? []);
    if (schema && types.includes("object")) {
      note(pAt, "an object-valued query parameter is not checked (the gateway reads each parameter on its own)");
      if (p.required === true) required.push(p.name);
      continue;
    }
    if (schema && types.includes("array")) {
      if (style !== "form" || !explode) {
        note(pAt, `a ${style} array${explode ? "" : " without explode"} arrives as one text value: it is not checked`);
        properties[p.name] = true;
      } else {
        properties[p.name] = repeated(file, schema, sr.pointer);
      }
    } else {
      // A reference is followed so the gateway sees the type it converts the text to.
      properties[p.name] = file.convert(schema ?? true, sr.external ? pAt + "/schema" : sr.pointer);
    }
    carryDescription(properties, p, pAt, note);
    if (p.required === true) required.push(p.name);
    if (p.deprecated === true) note(pAt + "/deprecated", "a deprecated parameter is still accepted; the gateway adds no header for it");
  }
  if (Object.keys(properties).length === 0 && required.length === 0) return {};
  const root = { type: "object", properties };
  if (required.length > 0) root.required = required;
  return { query: file.document(root) };
}

/** A query parameter's `description` and `example` go into its property schema (where the
 * gateway's OpenAPI documents read them); named `examples` are listed. */
function carryDescription(properties, p, at, note) {
  const prop = properties[p.name];
  if (!isObject(prop)) {
    if (p.description !== undefined) note(at + "/description", "not carried: the parameter has no schema to hold it");
    return;
  }
  if (typeof p.description === "string" && prop.description === undefined) prop.description = p.description;
  if (p.example !== undefined && prop.examples === undefined) prop.examples = [p.example];
  if (p.examples !== undefined) note(at + "/examples", "named examples are not carried");
}

/** An exploded form array: one value arrives as the item, several as an array. */
function repeated(file, schema, at) {
  const items = schema.items === undefined ? true : file.convert(schema.items, at + "/items");
  const array = file.convert({ ...schema }, at);
  const itemTypes = isObject(items) && items.type !== undefined ? [].concat(items.type) : undefined;
  const out = { anyOf: [items, array] };
  // The gateway reads text as the property's `type` asks (integer, number, boolean).
  if (itemTypes) out.type = ["array", ...itemTypes.filter((t) => t !== "array")];
  return out;
}

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]*\+)?json(?:\s*;.*)?$/i;

/** The body schema, when every media type is JSON and a body is required. */
function requestBody(c, id) {
  const { resolver, note, at, op, method } = c;
  if (op.requestBody === undefined) return undefined;
  const bAt = at + "/requestBody";
  const r = resolver.resolve(op.requestBody, bAt);
  if (r.external) {
    note(bAt, `request body is an external $ref (${r.external}): not checked`);
    return undefined;
  }
  const body = r.value;
  if (!isObject(body) || !isObject(body.content)) throw new InvalidDocument(`${bAt}: a request body needs "content"`);
  const bodyAt = r.pointer;
  if (!["post", "put", "patch"].includes(method)) {
    note(bAt, `the gateway checks bodies of POST, PUT and PATCH only: this ${method.toUpperCase()} body is not checked`);
    return undefined;
  }
  const types = Object.keys(body.content);
  const others = types.filter((t) => !JSON_TYPE.test(t));
  if (types.length === 0) return undefined;
  if (others.length > 0) {
    for (const t of others) {
      note(bodyAt + pointer("content", t), `${t} bodies cannot be checked; no body_schema is set, since it would refuse them with 415`);
    }
    return undefined;
  }
  if (body.required !== true) {
    note(bodyAt, "the body is optional: not checked (a route with body_schema refuses a request without a JSON body)");
    return undefined;
  }
  const [first, ...rest] = types;
  const media = body.content[first];
  for (const t of rest) {
    if (JSON.stringify(body.content[t]?.schema) !== JSON.stringify(media?.schema)) {
      note(bodyAt + pointer("content", t), `checked against the schema of ${first}, the first JSON media type`);
    }
  }
  for (const k of Object.keys(media ?? {})) {
    if (k !== "schema") note(bodyAt + pointer("content", first, k), `"${k}" is not carried`);
  }
  if (!isObject(media) || media.schema === undefined) {
    note(bodyAt + pointer("content", first), "no schema: any JSON body is accepted");
    return undefined;
  }
  const file = new SchemaFile(resolver, c.openapi31, note);
  const schema = file.document(file.convert(media.schema, bodyAt + pointer("content", first, "schema")));
  if (typeof body.description === "string" && schema.description === undefined) schema.description = body.description;
  return schema;
}

/** Servers -> upstreams: one per distinct URL. */
class Upstreams {
  constructor(base, variables, note) {
    this.base = base;
    this.variables = variables;
    this.note = note;
    /** "<rewrite> <url>" -> upstream */
    this.byUrl = new Map();
    /** the first server object as JSON -> upstream */
    this.byServer = new Map();
    this.noted = new Set();
  }

  /** The upstream for a `servers` list (at `at`): `{ name, rewrite }`. `rewrite` is true when
   * the server URL does not end with the version folder, so the route sends the document's
   * path (not the public one, which carries the version) upstream. */
  forServers(servers, at, version) {
    const list = Array.isArray(servers) ? servers.filter(isObject) : [];
    const key = JSON.stringify(list[0] ?? null);
    if (this.byServer.has(key)) return this.byServer.get(key);
    const name = this.byUrl.size === 0 ? this.base : `${this.base}-${this.byUrl.size + 1}`;
    if (list.length > 1 && !this.noted.has(at)) {
      this.noted.add(at);
      this.note(at, `${list.length} servers: the first is the upstream; make the others pool targets by hand (README "Upstream pools")`);
    }
    let url;
    const server = list[0];
    if (server === undefined || typeof server.url !== "string" || server.url === "" || server.url === "/") {
      url = `\${${varName(name, "ORIGIN")}}`;
      this.variables.push({ name: varName(name, "ORIGIN"), note: `the origin (scheme://host[:port]) of the API (${at} names none)` });
    } else {
      url = server.url;
      const vars = isObject(server.variables) ? server.variables : {};
      url = url.replace(/\{([^{}]+)\}/g, (_, v) => {
        const envName = varName(name, v);
        const spec = vars[v] ?? {};
        const bits = [];
        if (spec.default !== undefined) bits.push(`default ${JSON.stringify(spec.default)}`);
        if (Array.isArray(spec.enum)) bits.push(`one of ${spec.enum.join(", ")}`);
        this.variables.push({ name: envName, note: `server variable "${v}" of ${at}/0${bits.length ? ` (${bits.join("; ")})` : ""}` });
        return `\${${envName}}`;
      });
      if (url.startsWith("/")) {
        const origin = varName(name, "ORIGIN");
        this.variables.push({ name: origin, note: `the origin (scheme://host[:port]) the relative server URL "${server.url}" is on` });
        url = `\${${origin}}${url}`;
      } else if (!/^(?:https?:\/\/|\$\{)/.test(url)) {
        throw new InvalidDocument(`${at}/0/url: "${server.url}" is not an http(s) URL`);
      }
      if (/[?#]/.test(url)) throw new InvalidDocument(`${at}/0/url: "${server.url}" has a query or fragment`);
      url = url.replace(/\/+$/, "");
    }
    const suffix = `/${version}`;
    const afterHost = url.replace(/^[a-z$]+[^/]*\/\/[^/]*/i, "");
    const rewrite = !afterHost.toLowerCase().endsWith(suffix);
    const base = rewrite ? url : url.slice(0, -suffix.length);
    const up = this.byUrl.get(`${rewrite} ${base}`) ?? { name, url: base, rewrite };
    this.byUrl.set(`${rewrite} ${base}`, up);
    this.byServer.set(key, up);
    return up;
  }

  get all() {
    return [...this.byUrl.values()];
  }
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
  out.push(toml.comment(`Imported by \`make import\` from ${options.source}\n(OpenAPI ${doc.openapi}, "${doc.info.title}" ${doc.info.version}). Review before deploying:\nthe not-mapped list the import printed says what this configuration does not enforce.`));
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

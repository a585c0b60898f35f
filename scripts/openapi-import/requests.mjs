// An operation's parameters and request body -> the route's query and body schemas.
//
// Contract: `parameters(c)` answers `{ query }` (a schema file's JSON) or `{}`, and
// `requestBody(c)` the body schema or undefined; `c` is the operation's context from
// routes.mjs (`resolver`, `openapi31`, `note`, `at`, `itemAt`, `op`, `item`, `path`, `method`).
// Every parameter or body part they do not turn into a schema is reported through `c.note`
// with why; a malformed parameter or body throws `InvalidDocument`.

import { InvalidDocument, isObject, pointer } from "./document.mjs";
import { SchemaFile } from "./schema.mjs";

/** Path-level and operation-level parameters (the operation's win): path parameters are the
 * route's; query parameters become the query schema; the rest is listed. */
export function parameters(c) {
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
export function requestBody(c) {
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

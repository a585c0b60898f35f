// Reading an OpenAPI 3.0/3.1 document (JSON or YAML) and resolving its local `$ref`s.
//
// Contract: `parseDocument` either answers the document as plain JSON values or throws an
// `InvalidDocument` whose message says what is wrong (and where, for syntax errors); it never
// lets a parser's own exception through. `Resolver.resolve` follows local references
// (`#/...`) to their target and answers `{ value, pointer }`, or `{ external }` for a
// reference to another file or URL (which the importer lists as not mapped); a local
// reference to nothing, or a loop of references, throws `InvalidDocument`.

import { parseDocument as parseYaml } from "yaml";

/** A document the importer cannot read: the message is shown to the user as it is. */
export class InvalidDocument extends Error {}

/** Parses `text` (from `file`) as JSON when it looks like JSON, else as YAML, and checks the
 * parts every OpenAPI 3.0/3.1 document has. */
export function parseDocument(text, file) {
  let doc;
  const trimmed = text.trimStart();
  if (file.endsWith(".json") || trimmed.startsWith("{")) {
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new InvalidDocument(`not valid JSON: ${e.message}`);
    }
  } else {
    const parsed = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
    if (parsed.errors.length > 0) {
      const first = parsed.errors[0];
      const at = first.linePos?.[0];
      const where = at ? ` (line ${at.line}, column ${at.col})` : "";
      throw new InvalidDocument(`not valid YAML${where}: ${first.message.split("\n")[0]}`);
    }
    try {
      doc = parsed.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      throw new InvalidDocument(`YAML that cannot be read as JSON values: ${e.message}`);
    }
  }
  checkShape(doc);
  return doc;
}

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function checkShape(doc) {
  if (!isObject(doc)) {
    throw new InvalidDocument("the document is not an object");
  }
  if (doc.swagger !== undefined) {
    throw new InvalidDocument(
      `Swagger ${doc.swagger} is not supported: convert it to OpenAPI 3 first (only 3.0.x and 3.1.x are read)`,
    );
  }
  if (typeof doc.openapi !== "string") {
    throw new InvalidDocument('no "openapi" version field: not an OpenAPI 3 document');
  }
  if (!/^3\.[01]\.\d+/.test(doc.openapi)) {
    throw new InvalidDocument(`openapi "${doc.openapi}" is not supported (only 3.0.x and 3.1.x)`);
  }
  if (!isObject(doc.info) || typeof doc.info.title !== "string" || typeof doc.info.version !== "string") {
    throw new InvalidDocument('"info" must be an object with a string "title" and "version"');
  }
  if (doc.paths !== undefined && !isObject(doc.paths)) {
    throw new InvalidDocument('"paths" must be an object');
  }
  if (doc.paths === undefined && doc.openapi.startsWith("3.0")) {
    throw new InvalidDocument('OpenAPI 3.0 requires "paths"');
  }
  checkServers(doc.servers, "/servers");
  checkSecurity(doc.security, "/security");
  if (doc.components !== undefined && !isObject(doc.components)) {
    throw new InvalidDocument('"components" must be an object');
  }
}

/** `servers` (at `at`) is absent or an array of objects with a string `url`. */
export function checkServers(servers, at) {
  if (servers === undefined) return;
  if (!Array.isArray(servers)) throw new InvalidDocument(`${at}: servers must be an array`);
  servers.forEach((s, i) => {
    if (!isObject(s) || typeof s.url !== "string") {
      throw new InvalidDocument(`${at}/${i}: a server must be an object with a string "url"`);
    }
  });
}

/** `security` (at `at`) is absent or an array of requirement objects (scheme -> string list). */
export function checkSecurity(security, at) {
  if (security === undefined) return;
  if (!Array.isArray(security)) throw new InvalidDocument(`${at}: security must be an array of requirements`);
  security.forEach((req, i) => {
    if (!isObject(req)) throw new InvalidDocument(`${at}/${i}: a security requirement must be an object`);
    for (const [name, scopes] of Object.entries(req)) {
      if (!Array.isArray(scopes) || !scopes.every((x) => typeof x === "string")) {
        throw new InvalidDocument(`${at}/${i}/${name}: must be an array of scope names`);
      }
    }
  });
}

/** The operation members the import reads have the types OpenAPI gives them. */
export function checkOperation(op, at) {
  const want = { operationId: "string", summary: "string", description: "string", deprecated: "boolean" };
  for (const [key, type] of Object.entries(want)) {
    if (op[key] !== undefined && typeof op[key] !== type) throw new InvalidDocument(`${at}/${key}: must be a ${type}`);
  }
  if (op.tags !== undefined && !(Array.isArray(op.tags) && op.tags.every((t) => typeof t === "string"))) {
    throw new InvalidDocument(`${at}/tags: must be an array of strings`);
  }
  checkServers(op.servers, `${at}/servers`);
  checkSecurity(op.security, `${at}/security`);
}

/** RFC 6901: `["paths", "/a"]` -> `/paths/~1a`. */
export function pointer(...segments) {
  return segments.map((s) => "/" + String(s).replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}

function decodeSegment(s) {
  let text = s;
  try {
    text = decodeURIComponent(s);
  } catch {
    // not percent-encoded: taken as written
  }
  return text.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** Follows local references in one document. */
export class Resolver {
  constructor(doc) {
    this.doc = doc;
  }

  /** The value at a `#/...` reference, or undefined. */
  lookup(ref) {
    if (ref === "#") return this.doc;
    let at = this.doc;
    for (const raw of ref.slice(2).split("/")) {
      const key = decodeSegment(raw);
      if (at === null || typeof at !== "object" || !Object.hasOwn(at, key)) return undefined;
      at = at[key];
    }
    return at;
  }

  /** `value` with its `$ref` chain followed: `{ value, pointer }` (the pointer of the final
   * target, or `at` when `value` is no reference), or `{ external: ref }`. */
  resolve(value, at) {
    const seen = new Set();
    let current = value;
    let where = at;
    while (isObject(current) && typeof current.$ref === "string") {
      const ref = current.$ref;
      if (!ref.startsWith("#")) return { external: ref };
      if (ref !== "#" && !ref.startsWith("#/")) {
        throw new InvalidDocument(`${where}: $ref "${ref}" is not a JSON Pointer reference`);
      }
      if (seen.has(ref)) {
        throw new InvalidDocument(`${where}: $ref "${ref}" is part of a loop of references`);
      }
      seen.add(ref);
      const target = this.lookup(ref);
      if (target === undefined) {
        throw new InvalidDocument(`${where}: $ref "${ref}" points to nothing in the document`);
      }
      current = target;
      where = ref.slice(1);
    }
    return { value: current, pointer: where };
  }
}

export { isObject };

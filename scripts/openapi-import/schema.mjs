// OpenAPI Schema Objects -> the JSON Schema 2020-12 subset Gatehouse validates with
// (crates/config/src/json_schema.rs: ASSERTIONS and ANNOTATIONS).
//
// Contract: `SchemaFile.convert` answers a schema that uses only keywords the checker accepts.
// What it changes keeps the meaning (3.0 `nullable` -> a "null" type, 3.0 boolean
// `exclusiveMinimum` -> the number form, `example` -> `examples`, `$ref`s to component
// schemas -> `#/$defs/<name>` in the same file, a 3.1 `$ref` with sibling assertions ->
// `allOf`). Everything else it leaves out is reported through `notMapped(pointer, why)`:
// nothing is dropped without a line saying so.

import { InvalidDocument, isObject, pointer } from "./document.mjs";

/** Keywords copied as they are (their values hold no subschemas). */
const PLAIN = new Set([
  "enum",
  "const",
  "required",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "multipleOf",
  "minProperties",
  "maxProperties",
  "title",
  "description",
  "default",
  "deprecated",
  "readOnly",
  "writeOnly",
  "examples",
  "$comment",
]);

/** What the checker accepts next to a `$ref` (json_schema.rs ANNOTATIONS, less `$defs`). */
const ANNOTATIONS = new Set(["title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly", "$comment"]);

const COUNTS = new Set(["minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties"]);

/** What is wrong with a plain keyword's value (JSON Schema's own rules), or undefined. */
function invalidValue(key, v) {
  if (key === "enum" && !(Array.isArray(v) && v.length > 0)) return "must be a non-empty array";
  if (key === "required" && !(Array.isArray(v) && v.every((n) => typeof n === "string"))) return "must be an array of property names";
  if (COUNTS.has(key) && !(Number.isInteger(v) && v >= 0)) return "must be a non-negative integer";
  if ((key === "minimum" || key === "maximum") && typeof v !== "number") return "must be a number";
  if (key === "multipleOf" && !(typeof v === "number" && v > 0)) return "must be a number above 0";
  if (["uniqueItems", "deprecated", "readOnly", "writeOnly"].includes(key) && typeof v !== "boolean") return "must be true or false";
  if (key === "examples" && !Array.isArray(v)) return "must be an array";
  return undefined;
}

const TYPES = new Set(["null", "boolean", "object", "array", "number", "string", "integer"]);

/** Why each keyword Gatehouse does not check is left out. */
function whyNot(key) {
  if (key === "format") return "format is not checked by Gatehouse's validator";
  if (key === "pattern") return "pattern is not checked by Gatehouse's validator";
  if (key === "discriminator") return "discriminator is an annotation; oneOf/anyOf still apply";
  if (key.startsWith("x-")) return "extension, not carried";
  if (key === "xml" || key === "externalDocs") return `${key} is documentation, not carried`;
  return `keyword "${key}" is not implemented by Gatehouse's validator`;
}

/** One schema file under routes/schemas/: the schemas converted into it share its `$defs`. */
export class SchemaFile {
  /** `openapi31`: the document is 3.1 (JSON Schema 2020-12 dialect). */
  constructor(resolver, openapi31, notMapped) {
    this.resolver = resolver;
    this.openapi31 = openapi31;
    this.notMapped = notMapped;
    /** target pointer -> { name, schema } */
    this.defs = new Map();
    this.names = new Set();
  }

  /** The file's JSON: `root` with the `$defs` it reaches. */
  document(root) {
    const out = isObject(root) ? { ...root } : { allOf: [root] };
    if (this.defs.size > 0) {
      out.$defs = Object.fromEntries([...this.defs.values()].map((d) => [d.name, d.schema]));
    }
    return out;
  }

  /** The `$defs` name for the schema at `target`, converting it the first time. */
  def(target) {
    const known = this.defs.get(target);
    if (known) return known.name;
    const last = target.split("/").pop().replaceAll("~1", "/").replaceAll("~0", "~");
    let base = last.replace(/[^A-Za-z0-9_.-]+/g, "_") || "def";
    let name = base;
    for (let n = 2; this.names.has(name); n++) name = `${base}_${n}`;
    this.names.add(name);
    const entry = { name, schema: {} };
    // Registered before converting, so a recursive schema refers to itself by name.
    this.defs.set(target, entry);
    const value = this.resolver.lookup("#" + target);
    entry.schema = this.convert(value, target);
    return name;
  }

  /** A `$ref` at `at`: `{ $ref: "#/$defs/..." }`, or `true` (anything) when it cannot be followed. */
  reference(ref, at) {
    if (!ref.startsWith("#/")) {
      this.notMapped(at, `$ref "${ref}" is not a local reference: its target is not validated`);
      return true;
    }
    const resolved = this.resolver.resolve({ $ref: ref }, at);
    return { $ref: `#/$defs/${this.def(resolved.pointer)}` };
  }

  /** Converts the schema at `at` (a JSON Pointer in the source document). */
  convert(schema, at) {
    if (typeof schema === "boolean") return schema;
    if (!isObject(schema)) {
      this.notMapped(at, "not a schema (an object or a boolean): nothing is checked here");
      return true;
    }
    if (typeof schema.$ref === "string") {
      const ref = this.reference(schema.$ref, at + "/$ref");
      const siblings = Object.keys(schema).filter((k) => k !== "$ref");
      if (siblings.length === 0) return ref;
      if (!this.openapi31) {
        // OpenAPI 3.0: members next to a $ref are ignored by the specification itself.
        return ref;
      }
      const rest = { ...schema };
      delete rest.$ref;
      const converted = this.convert(rest, at);
      if (converted === true || (isObject(converted) && Object.keys(converted).length === 0)) return ref;
      // Annotations may stand next to a $ref; assertions go beside it in an allOf.
      if (isObject(converted) && Object.keys(converted).every((k) => ANNOTATIONS.has(k))) return { ...ref, ...converted };
      return { allOf: [ref, converted] };
    }
    const out = {};
    const sub = (value, ...path) => this.convert(value, at + pointer(...path));
    for (const [key, value] of Object.entries(schema)) {
      const here = at + pointer(key);
      if (PLAIN.has(key)) {
        const problem = invalidValue(key, value);
        if (problem) throw new InvalidDocument(`${here}: ${key} ${problem}`);
        out[key] = value;
      } else if (key === "type") {
        const list = Array.isArray(value) ? value : [value];
        const known = list.filter((t) => TYPES.has(t));
        if (known.length !== list.length) {
          this.notMapped(here, `type ${JSON.stringify(value)} is not a JSON Schema type: no type is checked`);
        } else {
          out.type = value;
        }
      } else if (key === "properties" || key === "$defs" || key === "patternProperties") {
        if (key !== "properties") {
          this.notMapped(here, whyNot(key));
          continue;
        }
        if (!isObject(value)) {
          this.notMapped(here, "properties is not an object: not checked");
          continue;
        }
        out.properties = Object.fromEntries(
          Object.entries(value).map(([name, s]) => [name, sub(s, key, name)]),
        );
      } else if (key === "additionalProperties" || key === "not" || key === "items") {
        if (key === "items" && Array.isArray(value)) {
          this.notMapped(here, "items as an array (tuple form) is not JSON Schema 2020-12: use prefixItems");
          continue;
        }
        out[key] = sub(value, key);
      } else if (key === "allOf" || key === "anyOf" || key === "oneOf" || key === "prefixItems") {
        if (!Array.isArray(value) || value.length === 0) {
          this.notMapped(here, `${key} is not a non-empty array: not checked`);
          continue;
        }
        out[key] = value.map((s, i) => sub(s, key, i));
      } else if (key === "exclusiveMinimum" || key === "exclusiveMaximum") {
        if (typeof value === "number") {
          out[key] = value;
        } else if (value === true) {
          const bound = key === "exclusiveMinimum" ? "minimum" : "maximum";
          if (typeof schema[bound] === "number") out[key] = schema[bound];
          else this.notMapped(here, `true without a number in ${bound}: nothing to exclude`);
        }
        // false is the default: nothing to carry.
      } else if (key === "nullable") {
        // Handled after the loop, once `type` and `enum` are known.
      } else if (key === "example") {
        if (!("examples" in schema)) out.examples = [value];
      } else if (key === "$schema") {
        if (value !== "https://json-schema.org/draft/2020-12/schema") {
          this.notMapped(here, `dialect "${value}" is not JSON Schema 2020-12; read as 2020-12`);
        }
      } else {
        this.notMapped(here, whyNot(key));
      }
    }
    if (schema.nullable === true) {
      if ("type" in out) {
        const list = Array.isArray(out.type) ? out.type : [out.type];
        if (!list.includes("null")) out.type = [...list, "null"];
      }
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    }
    // Exclusive bounds replace the inclusive ones they came from (3.0 boolean form).
    if (schema.exclusiveMinimum === true && "exclusiveMinimum" in out) delete out.minimum;
    if (schema.exclusiveMaximum === true && "exclusiveMaximum" in out) delete out.maximum;
    return out;
  }
}

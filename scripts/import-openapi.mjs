#!/usr/bin/env node
// `make import OPENAPI=api.yaml [OUT=routes-imported] [API_VERSION=v2] [FORCE=1]`:
// an OpenAPI 3.0/3.1 document (JSON or YAML) -> a routes/ directory (the book:
// docs/src/concepts/importing-openapi.md).
//
//   node scripts/import-openapi.mjs <document> [--out DIR] [--version vN] [--force]
//                                   [--deprecated-at RFC3339]
//
// Prints the files written, then "not mapped:" with the JSON Pointer of each part of the
// document the routes do not carry and why, then the variables to set. Exits 1 (with one
// line saying why) when the document cannot be read or is not OpenAPI 3.0/3.1, or when the
// output directory exists and is not empty (unless --force); 2 for a usage error.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { InvalidDocument, parseDocument } from "./openapi-import/document.mjs";
import { importDocument } from "./openapi-import/routes.mjs";

function fail(message, code = 1) {
  process.stderr.write(`import-openapi: ${message}\n`);
  process.exit(code);
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: "string", default: "routes-imported" },
      version: { type: "string" },
      force: { type: "boolean", default: false },
      "deprecated-at": { type: "string" },
    },
  });
} catch (e) {
  fail(`${e.message}\nusage: node scripts/import-openapi.mjs <document> [--out DIR] [--version vN] [--force]`, 2);
}
const [source] = args.positionals;
if (!source || args.positionals.length > 1) {
  fail("give one OpenAPI document: make import OPENAPI=api.yaml [OUT=routes-imported]", 2);
}
const deprecatedAt = args.values["deprecated-at"] ?? `${new Date().toISOString().slice(0, 10)}T00:00:00Z`;
if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/.test(deprecatedAt)) {
  fail(`--deprecated-at "${deprecatedAt}" is not an RFC 3339 date-time`, 2);
}

let text;
try {
  text = readFileSync(source, "utf8");
} catch (e) {
  fail(`cannot read ${source}: ${e.code === "ENOENT" ? "no such file" : e.message}`);
}

let result;
try {
  const doc = parseDocument(text, source);
  result = importDocument(doc, { version: args.values.version, deprecatedAt, source: relative(process.cwd(), resolve(source)) });
} catch (e) {
  if (e instanceof InvalidDocument) fail(`${source}: invalid document: ${e.message}`);
  // Not a problem the importer knows how to name: still one line, never a stack trace.
  fail(`${source}: cannot import (${e.message}); this is a bug in the importer: please report it with the document`);
}

const out = resolve(args.values.out);
prepare(out, args.values.force);
const written = [];
for (const [rel, content] of result.files) {
  const file = join(out, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  written.push(shown(file));
}

const lines = [`wrote ${written.length} file(s) (version folder ${result.version}):`];
for (const f of written.sort()) lines.push(`  ${f}`);
lines.push(`not mapped: ${result.notMapped.length === 0 ? "nothing" : ""}`.trimEnd());
for (const n of result.notMapped) lines.push(`  ${n.pointer}: ${n.reason}`);
if (result.variables.length > 0) {
  lines.push("to set before deploying (wrangler [vars], secrets or bindings):");
  for (const v of result.variables) lines.push(`  ${v.name}: ${v.note}`);
}
process.stdout.write(lines.join("\n") + "\n");

/** A path as the user would type it: relative under the current directory, else absolute. */
function shown(path) {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

/** Makes `dir` an empty directory. An existing non-empty one is replaced only with --force,
 * and only when it holds nothing but routes/ files (so a mistyped OUT never wipes a tree). */
function prepare(dir, force) {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) fail(`${dir} exists and is not a directory`);
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  if (!force) {
    fail(`${shown(dir)} exists and is not empty: choose another OUT, or FORCE=1 to replace it`);
  }
  const foreign = listFiles(dir).filter((f) => !/\.(toml|json|proto|graphql|md)$/.test(f) && !f.split("/").pop().startsWith("."));
  if (foreign.length > 0) {
    fail(`${dir} holds files that are not routes/ files (${foreign.slice(0, 3).join(", ")}): not replaced, even with FORCE=1`);
  }
  rmSync(dir, { recursive: true });
}

function listFiles(dir, prefix = "") {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

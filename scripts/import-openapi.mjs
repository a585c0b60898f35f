#!/usr/bin/env node
// `make import OPENAPI=api.yaml [OUT=routes-imported] [API_VERSION=v2] [FORCE=1]`:
// an OpenAPI 3.0/3.1 document (JSON or YAML) -> a routes/ directory (the book:
// docs/src/concepts/importing-openapi.md).
//
//   node scripts/import-openapi.mjs <document> [--out DIR] [--version vN] [--force]
//                                   [--deprecated-at RFC3339]
//
// Prints the files written, then (first, when there are any) what the gateway checks less
// strictly than the document asks, then "not mapped:" with the JSON Pointer of each part of the
// document the routes do not carry and why, then the variables to set. Everything printed has
// its control characters escaped (terminal.mjs). Exits 1 (with one line saying why) when the
// document cannot be read or is not OpenAPI 3.0/3.1, or when the output directory exists and
// is not empty (unless --force, and then only when it holds exactly what an import writes);
// 2 for a usage error.

import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { InvalidDocument, parseDocument } from "./openapi-import/document.mjs";
import { IMPORT_HEADER, importDocument } from "./openapi-import/routes.mjs";
import { printable } from "./openapi-import/terminal.mjs";

function fail(message, code = 1, usage = "") {
  process.stderr.write(`import-openapi: ${printable(message)}\n${usage}`);
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
  fail(e.message, 2, "usage: node scripts/import-openapi.mjs <document> [--out DIR] [--version vN] [--force]\n");
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

const lines = [`wrote ${written.length} file(s) (version folder ${printable(result.version)}):`];
for (const f of written.sort()) lines.push(`  ${printable(f)}`);
const weaker = result.notMapped.filter((n) => n.weaker);
const rest = result.notMapped.filter((n) => !n.weaker);
if (weaker.length > 0) {
  lines.push(`WEAKER THAN THE DOCUMENT: ${weaker.length} check(s) the gateway does not make (the upstream must), review before deploying:`);
  for (const n of weaker) lines.push(`  ${printable(n.pointer)}: ${printable(n.reason)}`);
}
lines.push(`not mapped: ${rest.length === 0 ? "nothing" : ""}`.trimEnd());
for (const n of rest) lines.push(`  ${printable(n.pointer)}: ${printable(n.reason)}`);
if (result.variables.length > 0) {
  lines.push("to set before deploying (wrangler [vars], secrets or bindings):");
  for (const v of result.variables) lines.push(`  ${printable(v.name)}: ${printable(v.note)}`);
}
process.stdout.write(lines.join("\n") + "\n");

/** A path as the user would type it: relative under the current directory, else absolute. */
function shown(path) {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

/** Makes `dir` ready to write into. An existing non-empty one is replaced only with --force,
 * and only when it holds exactly what an import writes: a `gateway.toml` that starts with the
 * importer's header, `<version>/*.toml` and `schemas/*.json` files, nothing else (no dotfile,
 * no other file, no link). Only those files and folders are deleted. */
function prepare(dir, force) {
  if (!existsSync(dir)) return;
  if (!lstatSync(dir).isDirectory()) fail(`${dir} exists and is not a directory`);
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  if (!force) {
    fail(`${shown(dir)} exists and is not empty: choose another OUT, or FORCE=1 to replace it`);
  }
  const notOurs = (why) =>
    fail(`${shown(dir)} is not a routes directory written by \`make import\` (${why}): not replaced, even with FORCE=1`);
  let header = "";
  try {
    header = readFileSync(join(dir, "gateway.toml"), "utf8");
  } catch {
    notOurs("no gateway.toml");
  }
  if (!lstatSync(join(dir, "gateway.toml")).isFile() || !header.startsWith(IMPORT_HEADER)) {
    notOurs("its gateway.toml does not start with the import's header");
  }
  const files = [];
  const folders = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "gateway.toml") continue;
    const inner = e.isDirectory() ? readdirSync(join(dir, e.name), { withFileTypes: true }) : [];
    const want = e.name === "schemas" ? /^[^.].*\.json$/ : /^[^.].*\.toml$/;
    if (!e.isDirectory() || e.name.startsWith(".")) notOurs(`${e.name}`);
    for (const f of inner) {
      if (!f.isFile() || !want.test(f.name)) notOurs(`${e.name}/${f.name}`);
      files.push(join(dir, e.name, f.name));
    }
    folders.push(join(dir, e.name));
  }
  for (const f of [join(dir, "gateway.toml"), ...files]) rmSync(f);
  for (const d of folders) rmdirSync(d);
}

// The book's link checker (scripts/check-book-links.mjs) on small hand-made builds: it passes
// a build whose links resolve and fails one with a missing page or a missing #fragment.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const script = new URL("../../scripts/check-book-links.mjs", import.meta.url).pathname;

function build(pages) {
  const dir = mkdtempSync(join(tmpdir(), "book-"));
  for (const [name, html] of Object.entries(pages)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), html);
  }
  return dir;
}

function check(dir) {
  const r = spawnSync(process.execPath, [script, dir], { encoding: "utf8" });
  rmSync(dir, { recursive: true, force: true });
  return r;
}

test("a build whose links and fragments resolve passes", () => {
  const r = check(
    build({
      "index.html": '<a href="guide/a.html#setup">a</a> <a href="https://example.com/x">ext</a> <img src="img/p.png">',
      "guide/a.html": '<h2 id="setup">Setup</h2><a href="../index.html">up</a> <a href="#setup">self</a>',
      "img/p.png": "png",
    }),
  );
  assert.equal(r.status, 0, r.stderr);
});

test("a link to a missing page fails and names it", () => {
  const r = check(build({ "index.html": '<a href="gone.html">x</a>' }));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /index\.html: href="gone\.html": no file gone\.html/);
});

test("a fragment the target page lacks fails and names it", () => {
  const r = check(
    build({ "index.html": '<a href="b.html#nope">x</a>', "b.html": '<h1 id="yes">B</h1>' }),
  );
  assert.equal(r.status, 1);
  assert.match(r.stderr, /b\.html has no id "nope"/);
});

test("a missing image fails", () => {
  const r = check(build({ "index.html": '<img src="portal.png">' }));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /src="portal\.png": no file portal\.png/);
});

// The checker's native CLI (crates/config's `gatehouse` binary) for the importer tests: built
// once per test file with cargo, which names the executable it wrote.
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
let checker;

/** The path of the `gatehouse` executable, built on first use. */
export function checkerPath() {
  if (checker) return checker;
  const r = spawnSync("cargo", ["build", "-q", "-p", "gatehouse-config", "--bin", "gatehouse", "--message-format=json"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(r.status, 0, `cargo build failed:\n${r.stderr}`);
  const artifact = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l))
    .find((m) => m.reason === "compiler-artifact" && m.target?.name === "gatehouse" && m.executable);
  assert.ok(artifact, "cargo named no gatehouse executable");
  checker = artifact.executable;
  return checker;
}

// Deploying: the per-environment dry-run check (scripts/check-deploy-config.sh) catches broken
// bindings, `make deploy` refuses what it cannot deploy, the CI workflow is valid, and the build
// skips only when build/ matches its inputs. Runs after `make test` has built build/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { dedupeGlueImports } from "../../scripts/dedupe-glue-imports.mjs";

const root = path.resolve(import.meta.dirname, "../..");
const wranglerToml = fs.readFileSync(path.join(root, "wrangler.toml"), "utf8");

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, {
    cwd: root, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false", ...env },
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** Where [env.`env`] and its sub-tables are in `text`: up to another environment's table. */
function section(text, env) {
  const start = text.indexOf(`[env.${env}]`);
  assert.notEqual(start, -1, `wrangler.toml has [env.${env}]`);
  const next = text.slice(start).search(new RegExp(`^\\[\\[?env\\.(?!${env}[.\\]])`, "m"));
  return [start, next === -1 ? text.length : start + next];
}

/** Runs the check (the top level and `env`) on a copy of wrangler.toml changed by `edit` inside [env.`env`]. */
function checkEdited(env, edit) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-deploy-"));
  try {
    let text = wranglerToml
      .replace(/^main = "build\/index.js"$/m, `main = "${root}/build/index.js"`)
      .replace(/^command = "bash scripts\/build-worker.sh"$/m, `command = "bash ${root}/scripts/build-worker.sh"`);
    if (env) {
      const [a, b] = section(text, env);
      const changed = edit(text.slice(a, b));
      assert.notEqual(changed, text.slice(a, b), "the edit changed the environment");
      text = text.slice(0, a) + changed + text.slice(b);
    }
    const config = path.join(dir, "wrangler.toml");
    fs.writeFileSync(config, text);
    return run("bash", ["scripts/check-deploy-config.sh", "-c", config, ...(env ? [env] : [])]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("the deploy check passes an unbroken copy of wrangler.toml for the top level and every environment", () => {
  const r = checkEdited(null);
  assert.equal(r.status, 0, r.out);
  for (const env of ["top level", "staging", "production"]) assert.match(r.out, new RegExp(`ok: ${env}: wrangler deploy --dry-run`));
});

test("a Durable Object class the worker does not export fails the staging dry run, naming the environment and the class", () => {
  const r = checkEdited("staging", (s) => s.replace('class_name = "RateLimiter"', 'class_name = "RateLimitr"'));
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /FAIL: staging: wrangler deploy --dry-run --env="staging" failed/);
  assert.match(r.out, /not exported in your entrypoint file: RateLimitr/);
});

test("an environment without the KV namespace the top level binds fails the check (wrangler only warns)", () => {
  const r = checkEdited("production", (s) => s.replace(/\[\[env\.production\.kv_namespaces\]\]\nbinding = "API_KEYS"\nid = "[0-9a-f]+"\n/, ""));
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /FAIL: production: wrangler warns that env\.production lacks what the top level has/);
  assert.match(r.out, /"kv_namespaces" exists at the top level, but not on "env\.production"/);
});

test("an environment lacking one var the top level has fails the check (wrangler only warns), naming the var", () => {
  const r = checkEdited("staging", (s) => s.replace(/^IDP_ORIGIN = .*\n/m, ""));
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /FAIL: staging: wrangler warns that env\.staging lacks what the top level has/);
  assert.match(r.out, /"vars\.IDP_ORIGIN" exists at the top level, but not on "env\.staging\.vars"/);
});

test("make deploy without ENV refuses and names the environments to choose from", () => {
  const r = run("bash", ["scripts/deploy.sh"], { ENV: "" });
  assert.equal(r.status, 2, r.out);
  assert.match(r.out, /\[deploy\] error: say which environment: make deploy ENV=<staging\|production>/);
  assert.doesNotMatch(r.out, /running:/);
});

test("make deploy with an environment wrangler.toml does not define refuses before running wrangler", () => {
  const r = run("bash", ["scripts/deploy.sh"], { ENV: "prod" });
  assert.equal(r.status, 2, r.out);
  assert.match(r.out, /ENV=prod is not an environment in wrangler\.toml \(there: staging, production\)/);
  assert.doesNotMatch(r.out, /running:/);
});

test("make deploy refuses an environment whose KV namespace still has the placeholder id", () => {
  const r = run("bash", ["scripts/deploy.sh"], { ENV: "production", DRY_RUN: "" });
  assert.equal(r.status, 2, r.out);
  assert.match(r.out, /env\.production's KV namespace API_KEYS still has the placeholder id/);
  assert.match(r.out, /npx wrangler kv namespace create API_KEYS --env production/);
});

test("make deploy ENV=staging DRY_RUN=1 says what it runs and builds what staging would upload", () => {
  const r = run("bash", ["scripts/deploy.sh"], { ENV: "staging", DRY_RUN: "1" });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /\[deploy\] running: npx wrangler deploy --env staging --dry-run --outdir dist/);
  assert.match(r.out, /env\.ANALYTICS \(gatehouse_staging\)/);
  assert.match(r.out, /env\.ECHO_ORIGIN \("https:\/\/echo\.staging\.example\.com"\)/);
  assert.ok(fs.readdirSync(path.join(root, "dist")).some((f) => f.endsWith(".wasm")), "dist/ has the wasm");
});

test("the CI workflow is valid YAML: make test, then staging from main and production from a tag or a manual run, the API token secret in the deploy step only, never from another branch", () => {
  const wf = YAML.parse(fs.readFileSync(path.join(root, ".github/workflows/deploy.yml"), "utf8"));
  assert.deepEqual(wf.on.push.branches, ["main"]);
  assert.deepEqual(wf.on.push.tags, ["v*"]);
  assert.ok("workflow_dispatch" in wf.on);
  assert.ok(wf.jobs.test.steps.some((s) => s.run === "make test"));
  assert.equal(wf.jobs.deploy.needs, "test");
  assert.match(wf.jobs.deploy.env.DEPLOY_ENV, /refs\/heads\/main' && 'staging' \|\| 'production'/);
  // Every deploy, manual runs included, needs main or a v* tag.
  assert.match(wf.jobs.deploy.if, /^\(github\.event_name == 'workflow_dispatch' \|\| github\.event_name == 'push'\) &&\s*\(github\.ref == 'refs\/heads\/main' \|\| startsWith\(github\.ref, 'refs\/tags\/v'\)\)$/);
  // The token reaches the deploy step only, not the third-party actions before it.
  const withToken = [wf.jobs.deploy, wf.jobs.test, ...wf.jobs.deploy.steps, ...wf.jobs.test.steps]
    .filter((x) => JSON.stringify(x.env ?? {}).includes("CLOUDFLARE_API_TOKEN"));
  const deployStep = wf.jobs.deploy.steps.find((s) => s.run === 'make deploy ENV="$DEPLOY_ENV"');
  assert.deepEqual(withToken, [deployStep]);
  assert.equal(deployStep.env.CLOUDFLARE_API_TOKEN, "${{ secrets.CLOUDFLARE_API_TOKEN }}");
  assert.equal(deployStep.env.CLOUDFLARE_ACCOUNT_ID, "${{ secrets.CLOUDFLARE_ACCOUNT_ID }}");
  const envs = [...wranglerToml.matchAll(/^\[env\.([a-z]+)\]$/gm)].map((m) => m[1]);
  for (const choice of wf.on.workflow_dispatch.inputs.environment.options) assert.ok(envs.includes(choice), `${choice} is in wrangler.toml`);
});

test("build-worker.sh --status finds build/ up to date after the build, and with an identical copy of routes/", () => {
  assert.equal(run("bash", ["scripts/build-worker.sh", "--status"]).status, 0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-routes-"));
  try {
    fs.cpSync(path.join(root, "routes"), dir, { recursive: true });
    const r = run("bash", ["scripts/build-worker.sh", "--status"], { GATEHOUSE_ROUTES: dir });
    assert.equal(r.status, 0, r.out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("build-worker.sh --status finds build/ out of date when a routes file, a build argument or a build variable changes", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-routes-"));
  try {
    fs.cpSync(path.join(root, "routes"), dir, { recursive: true });
    fs.appendFileSync(path.join(dir, "gateway.toml"), "\n# changed\n");
    const r = run("bash", ["scripts/build-worker.sh", "--status"], { GATEHOUSE_ROUTES: dir });
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /build\/ is out of date/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(run("bash", ["scripts/build-worker.sh", "--status", "--dev"]).status, 1);
  assert.equal(run("bash", ["scripts/build-worker.sh", "--status"], { NO_MINIFY: "1" }).status, 1);
});

test("build-worker.sh --status follows a symlinked routes file: editing its target makes build/ out of date", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-routes-"));
  try {
    fs.cpSync(path.join(root, "routes"), path.join(dir, "routes"), { recursive: true });
    fs.renameSync(path.join(dir, "routes/v1/users.toml"), path.join(dir, "users.toml"));
    fs.symlinkSync(path.join(dir, "users.toml"), path.join(dir, "routes/v1/users.toml"));
    const env = { GATEHOUSE_ROUTES: path.join(dir, "routes") };
    assert.equal(run("bash", ["scripts/build-worker.sh", "--status"], env).status, 0, "the same contents through a link");
    fs.appendFileSync(path.join(dir, "users.toml"), "\n# changed\n");
    const r = run("bash", ["scripts/build-worker.sh", "--status"], env);
    assert.equal(r.status, 1, r.out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the built bundle gives the wasm platform.js under one key", () => {
  const bundle = fs.readFileSync(path.join(root, "build/index.js"), "utf8");
  assert.equal(bundle.match(/"\.\/snippets\/[^"]+\/platform\.js":/g)?.length, 1);
});

test("dedupeGlueImports keeps the first import of a repeated module and leaves other modules alone", () => {
  const glue = [
    'import * as import1 from "./snippets/x/platform.js"',
    'import * as import2 from "./snippets/x/platform.js"',
    'import * as import3 from "./snippets/y/other.js"',
    "function __wbg_get_imports() {",
    "    return {",
    '        "./index_bg.js": import0,',
    '        "./snippets/x/platform.js": import1,',
    '        "./snippets/x/platform.js": import2,',
    '        "./snippets/y/other.js": import3,',
    "    };",
    "}",
    "",
  ].join("\n");
  const { text, dropped } = dedupeGlueImports(glue);
  assert.equal(dropped, 1);
  assert.doesNotMatch(text, /import2/);
  assert.equal(text.match(/"\.\/snippets\/x\/platform\.js": import1,/g).length, 1);
  assert.match(text, /import \* as import3 from "\.\/snippets\/y\/other\.js"/);
  assert.match(text, /"\.\/snippets\/y\/other\.js": import3,/);
  assert.deepEqual(dedupeGlueImports(text), { text, dropped: 0 });
});

test("dedupeGlueImports refuses when a repeated import is used outside the imports object", () => {
  const glue = 'import * as import1 from "./a.js"\nimport * as import2 from "./a.js"\nconst x = import2.f;\n';
  assert.throws(() => dedupeGlueImports(glue), /import2 is still used after dropping its duplicate import/);
});

test("the key commands refuse an ENV that wrangler.toml does not define, naming the ones it does", () => {
  const r = run("node", ["scripts/keys.mjs", "list"], { ENV: "qa" });
  assert.equal(r.status, 2, r.out);
  assert.match(r.out, /error: ENV=qa is not an environment in wrangler\.toml \(there: staging, production\)/);
});

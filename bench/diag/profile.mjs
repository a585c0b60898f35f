// A V8 CPU profile of Gatehouse (bench routes) under wrk load on one or more paths, with the
// nginx origin of the benchmark: builds once into bench/work/profile-build (PROFILE_REUSE=1
// keeps an existing build), starts workerd with an inspector and runs cpu-profile.mjs per path.
// usage: node bench/diag/profile.mjs /v1/agg/42 [/v1/shaped/users/42 ...]   (PROFILE_SECONDS=8;
// WRK_SCRIPT=bench/work/V1.lua makes every request that script's, e.g. the V1 POST)
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ROOT, WORK, WORKERD, buildGatehouse, gatehouseBuild, workerdConfig, start, stop, waitReady } from "../workerd.mjs";

const ORIGIN = 18080, PORT = 18083, INSPECTOR = 19229;
const out = path.join(WORK, "profile-build");
fs.mkdirSync(WORK, { recursive: true });
const build = process.env.PROFILE_REUSE === "1" && fs.existsSync(out)
  ? gatehouseBuild(out)
  : buildGatehouse(out, path.join(ROOT, "bench/routes"), console.error);
const prefix = path.join(WORK, "nginx-origin-profile");
fs.mkdirSync(prefix, { recursive: true });
const conf = fs.readFileSync(path.join(ROOT, "bench/peers/nginx/origin.conf.template"), "utf8")
  .replaceAll("__PREFIX__", prefix).replaceAll("__PORT__", String(ORIGIN));
fs.writeFileSync(path.join(prefix, "nginx.conf"), conf);
fs.writeFileSync(path.join(prefix, "jwks.json"), '{"keys":[]}');
fs.writeFileSync(path.join(prefix, "user.binpb"), "");
const origin = start("nginx", ["-p", prefix, "-c", path.join(prefix, "nginx.conf"), "-e", path.join(prefix, "error.log")]);
await waitReady(ORIGIN, origin);
const config = workerdConfig(build, PORT, { text: { ORIGIN: `http://127.0.0.1:${ORIGIN}`, JWT_SECRET: "x" } });
const gw = start(WORKERD, ["serve", "--experimental", `--inspector-addr=127.0.0.1:${INSPECTOR}`, config]);
await waitReady(PORT, gw);
try {
  for (const p of process.argv.slice(2)) {
    const url = `http://127.0.0.1:${PORT}${p}`;
    spawnSync("wrk", ["-t2", "-c16", "-d3s", ...(process.env.WRK_SCRIPT ? ["-s", process.env.WRK_SCRIPT] : []), url], { stdio: "ignore" }); // warm up
    console.log(`\n## ${p}`);
    spawnSync("node", [path.join(ROOT, "bench/diag/cpu-profile.mjs"), String(INSPECTOR), url, process.env.PROFILE_SECONDS ?? "8", "45"], { stdio: "inherit" });
  }
} finally {
  await stop(gw);
  await stop(origin);
}

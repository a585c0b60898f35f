// A test identity provider on loopback: generates real key pairs (RSA, EC P-256, Ed25519),
// serves them as a JWKS and signs tokens with them. `make dev` runs it so the book's JWT
// examples work offline; the end-to-end tests drive it (rotation, outages, attack tokens).
//
//   node scripts/test-idp.mjs [port]        (default 9002)
//   GET /.well-known/jwks.json              the public keys (Cache-Control: max-age=300)
//   GET /token?sub=alice&scope=orders:read&alg=RS256&roles=admin&org=acme&ttl=3600
//                                           mints a token for the demo routes
import http from "node:http";
import crypto from "node:crypto";
import { pathToFileURL } from "node:url";

export const ISSUER = "https://id.gatehouse.test/";
export const AUDIENCE = "gatehouse-demo";

const b64url = (buf) => Buffer.from(buf).toString("base64url");

/** A new key pair for `alg` with a fresh kid. */
export function generateKey(alg) {
  let pair;
  if (alg.startsWith("RS") || alg.startsWith("PS")) pair = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  else if (alg === "ES256") pair = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  else if (alg === "EdDSA") pair = crypto.generateKeyPairSync("ed25519");
  else throw new Error(`no key type for ${alg}`);
  const kid = `${alg.toLowerCase()}-${crypto.randomBytes(4).toString("hex")}`;
  return { alg, kid, privateKey: pair.privateKey, publicKey: pair.publicKey,
    jwk: { ...pair.publicKey.export({ format: "jwk" }), kid, use: "sig" } };
}

/** Signs `signingInput` the way JWS `alg` requires. `key` is a KeyObject or an HMAC secret. */
export function signJws(alg, key, signingInput) {
  const data = Buffer.from(signingInput);
  const hash = `sha${alg.slice(2)}`;
  if (alg.startsWith("HS")) return crypto.createHmac(hash, key).update(data).digest();
  if (alg.startsWith("RS")) return crypto.sign(hash, data, key);
  if (alg.startsWith("PS")) return crypto.sign(hash, data, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 });
  if (alg === "ES256") return crypto.sign("sha256", data, { key, dsaEncoding: "ieee-p1363" });
  if (alg === "EdDSA") return crypto.sign(null, data, key);
  throw new Error(`cannot sign ${alg}`);
}

/** A compact JWT. `header` fields override {alg, typ, kid}; `key` signs (KeyObject or secret). */
export function makeToken(claims, { alg, kid, key, header = {} }) {
  const h = { alg, typ: "JWT", ...(kid ? { kid } : {}), ...header };
  const input = `${b64url(JSON.stringify(h))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(signJws(alg, key, input))}`;
}

/** Standard claims for the demo audience, valid for `ttl` seconds. */
export function claims(extra = {}, ttl = 3600) {
  const now = Math.floor(Date.now() / 1000);
  return { iss: ISSUER, aud: AUDIENCE, sub: "alice", iat: now, exp: now + ttl, ...extra };
}

export async function startIdp(port = 0, host = "127.0.0.1") {
  const keys = new Map(); // kid -> key
  for (const alg of ["RS256", "ES256", "EdDSA"]) {
    const k = generateKey(alg);
    keys.set(k.kid, k);
  }
  // state.garbage: a body to answer 200 with instead of the key set (fault tests).
  const state = { down: false, garbage: null, fetches: 0, cacheControl: "public, max-age=300", extraJwks: [] };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://idp");
    if (url.pathname === "/.well-known/jwks.json") {
      state.fetches++;
      if (state.down) {
        res.writeHead(503, { "content-type": "text/plain" });
        return res.end("down");
      }
      if (state.garbage !== null) {
        res.writeHead(200, { "content-type": "application/json", "cache-control": state.cacheControl });
        return res.end(state.garbage);
      }
      const body = JSON.stringify({ keys: [...[...keys.values()].map((k) => k.jwk), ...state.extraJwks] });
      res.writeHead(200, { "content-type": "application/json", "cache-control": state.cacheControl });
      return res.end(body);
    }
    if (url.pathname === "/token") {
      const q = url.searchParams;
      const alg = q.get("alg") || "RS256";
      const k = idp.keyFor(alg);
      const extra = { sub: q.get("sub") || "alice" };
      for (const name of ["scope", "org"]) if (q.get(name)) extra[name] = q.get(name);
      if (q.get("roles")) extra.roles = q.get("roles").split(",");
      const token = makeToken(claims(extra, Number(q.get("ttl") || 3600)), { alg, kid: k.kid, key: k.privateKey });
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end(token + "\n");
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const idp = {
    url: `http://${host}:${server.address().port}`,
    state,
    keys,
    /** The current key for `alg` (PS* uses an RSA key published for RS256 too). */
    keyFor(alg) {
      const want = alg.startsWith("PS") ? "RS256" : alg;
      return [...keys.values()].find((k) => k.alg === want);
    },
    /** Signs `claims` with the current key for `alg`. */
    token(c = claims(), alg = "RS256", opts = {}) {
      const k = idp.keyFor(alg);
      return makeToken(c, { alg, kid: k.kid, key: k.privateKey, ...opts });
    },
    /** Adds a new key for `alg` (rotation); returns it. */
    rotate(alg) {
      const k = generateKey(alg);
      keys.set(k.kid, k);
      return k;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
  return idp;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const idp = await startIdp(Number(process.argv[2] || 9002));
  console.log(`[idp] test identity provider on ${idp.url} (JWKS at /.well-known/jwks.json, tokens at /token)`);
}

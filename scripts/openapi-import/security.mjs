// OpenAPI security schemes -> Gatehouse authentication policies, and security requirements ->
// each route's `policies`.
//
// Contract: http bearer, oauth2 and openIdConnect become `jwt` policies (JWKS URL a `${VAR}`;
// the issuer from `openIdConnectUrl` when there is one), apiKey in a header or the query
// becomes `api_key` (KV binding API_KEYS), 3.1 mutualTLS becomes `mtls`. A requirement's
// scopes become a `require` policy after the authentication. Anything the gateway cannot
// enforce as written (http basic, API keys in cookies, optional authentication, alternatives
// with different scopes, ...) is reported through `notMapped`, saying what the route does
// instead; a route is never given weaker checks without a line saying so.

import { isObject, pointer } from "./document.mjs";

/** `a-z 0-9 - _` as policy and upstream names need. */
export function slugName(text, fallback) {
  const s = String(text)
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48);
  return s || fallback;
}

/** `A-Z 0-9 _` as variable names need (never starting with a digit). */
export function varName(...parts) {
  const s = parts
    .join("_")
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return /^[0-9]/.test(s) ? `V_${s}` : s;
}

const OIDC_SUFFIX = "/.well-known/openid-configuration";

export class Security {
  constructor(doc, resolver, notMapped, variables) {
    this.doc = doc;
    this.resolver = resolver;
    this.notMapped = notMapped;
    this.variables = variables;
    /** scheme name -> { policy: name, table } | { reason } */
    this.schemes = new Map();
    this.usedNames = new Set();
    /** policy name -> TOML table (in the order first used) */
    this.policies = new Map();
  }

  /** The policy for a scheme: `{ name }`, or `{ reason }` when it cannot be enforced. */
  scheme(name) {
    if (this.schemes.has(name)) return this.schemes.get(name);
    const at = pointer("components", "securitySchemes", name);
    const raw = this.doc.components?.securitySchemes?.[name];
    let result;
    if (raw === undefined) {
      result = { reason: `security scheme "${name}" is not defined in components.securitySchemes` };
    } else {
      const r = this.resolver.resolve(raw, at);
      result = r.external
        ? { reason: `security scheme "${name}" is an external $ref (${r.external})` }
        : this.policyFor(name, r.value, at);
    }
    if (result.table) {
      let policy = slugName(name, "auth");
      for (let n = 2; this.usedNames.has(policy); n++) policy = `${slugName(name, "auth")}-${n}`;
      this.usedNames.add(policy);
      result.name = policy;
      result.pointer = at;
    }
    this.schemes.set(name, result);
    return result;
  }

  policyFor(name, s, at) {
    if (!isObject(s)) return { reason: "not a security scheme object" };
    const description = typeof s.description === "string" ? s.description : undefined;
    const jwt = (extra, comment) => {
      const jwks = varName(name, "JWKS_URL");
      this.variables.push({ name: jwks, note: `the JWKS URL of the identity provider for security scheme "${name}" (${at})` });
      return {
        table: { kind: "jwt", algorithms: ["RS256", "ES256"], ...extra, jwks_url: `\${${jwks}}` },
        comment,
        description,
      };
    };
    switch (s.type) {
      case "http": {
        const scheme = String(s.scheme ?? "").toLowerCase();
        if (scheme === "bearer") {
          const isJwt = String(s.bearerFormat ?? "").toUpperCase() === "JWT";
          if (!isJwt) {
            this.notMapped(
              at,
              `bearer tokens without bearerFormat "JWT" are checked as JWTs by the jwt policy; opaque tokens would be refused`,
            );
          }
          this.notMapped(at, "no issuer or audience in the document: add `issuer` and `audiences` to the policy");
          return jwt({}, "http bearer token");
        }
        return { reason: `http "${s.scheme}" authentication is not supported by the gateway` };
      }
      case "oauth2": {
        this.notMapped(at + "/flows", "OAuth 2 flows are the client's business: the gateway only verifies the access token (as a JWT)");
        this.notMapped(at, "no issuer or audience in the document: add `issuer` and `audiences` to the policy");
        return jwt({}, "OAuth 2 access tokens, verified as JWTs");
      }
      case "openIdConnect": {
        const url = typeof s.openIdConnectUrl === "string" ? s.openIdConnectUrl : "";
        const extra = {};
        if (url.endsWith(OIDC_SUFFIX)) {
          extra.issuer = url.slice(0, -OIDC_SUFFIX.length);
          // OpenID Connect Discovery: the issuer is the URL before the well-known suffix, with
          // the trailing "/" as the provider writes it (often none).
        } else {
          this.notMapped(at + "/openIdConnectUrl", "not a .well-known/openid-configuration URL: set `issuer` by hand");
        }
        this.notMapped(at + "/openIdConnectUrl", "the discovery document is not fetched: set the JWKS URL variable to its jwks_uri");
        this.notMapped(at, "no audience in the document: add `audiences` to the policy");
        return jwt(extra, `OpenID Connect (${url})`);
      }
      case "apiKey": {
        const where = s.in;
        if (typeof s.name !== "string" || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(s.name)) {
          return { reason: `API key name ${JSON.stringify(s.name)} is not a valid header or parameter name` };
        }
        if (where === "header") {
          const lower = s.name.toLowerCase();
          if (lower === "authorization" || lower === "cookie") {
            return { reason: `an API key in the ${s.name} header is not supported (the gateway reads keys from a dedicated header)` };
          }
          this.variables.push({ name: "API_KEYS", note: "the KV namespace binding holding API-key records (`make key-create`)" });
          return { table: { kind: "api_key", header: lower, store: "API_KEYS" }, comment: `API key in the ${s.name} header`, description };
        }
        if (where === "query") {
          this.variables.push({ name: "API_KEYS", note: "the KV namespace binding holding API-key records (`make key-create`)" });
          return { table: { kind: "api_key", query: s.name, store: "API_KEYS" }, comment: `API key in the ${s.name} query parameter`, description };
        }
        return { reason: `an API key in a ${where} is not supported (only a header or the query)` };
      }
      case "mutualTLS":
        return { table: { kind: "mtls" }, comment: "client certificates verified by Cloudflare", description };
      default:
        return { reason: `security scheme type "${s.type}" is not supported` };
    }
  }

  /** The route `policies` for an operation's requirements (`security` at `at`). */
  routePolicies(requirements, at) {
    if (!Array.isArray(requirements) || requirements.length === 0) return [];
    if (requirements.some((r) => isObject(r) && Object.keys(r).length === 0)) {
      this.notMapped(at, "authentication is optional here (an empty requirement): the gateway enforces none on this route");
      return [];
    }
    const alternatives = [];
    const refused = [];
    requirements.forEach((req, i) => {
      if (!isObject(req)) {
        this.notMapped(at + pointer(i), "not a security requirement object");
        return;
      }
      const names = [];
      let scopes = [];
      for (const [scheme, wanted] of Object.entries(req)) {
        const p = this.scheme(scheme);
        if (!p.name) {
          refused.push({ at: at + pointer(i, scheme), reason: p.reason });
          return;
        }
        names.push(p.name);
        if (Array.isArray(wanted)) scopes = [...scopes, ...wanted.filter((w) => typeof w === "string")];
      }
      alternatives.push({ names, scopes: [...new Set(scopes)].sort(), index: i });
    });
    const outcome =
      alternatives.length > 0
        ? "clients using this alternative are refused at the gateway"
        : "the gateway does not check it on this route: the upstream must (credentials are passed through)";
    for (const r of refused) this.notMapped(r.at, `${r.reason}; ${outcome}`);
    if (alternatives.length === 0) return [];
    for (const a of alternatives) {
      for (const n of a.names) this.use(n);
    }
    let chosen;
    let policies;
    if (alternatives.length === 1) {
      chosen = alternatives;
      policies = [...alternatives[0].names];
    } else {
      chosen = alternatives.filter((a) => a.names.length === 1);
      for (const a of alternatives.filter((a) => a.names.length > 1)) {
        this.notMapped(at + pointer(a.index), "an alternative that needs several schemes at once cannot be one of several alternatives at the gateway: refused");
      }
      if (chosen.length === 0) {
        chosen = [alternatives[0]];
        policies = [...alternatives[0].names];
      } else if (chosen.length === 1) {
        policies = [...chosen[0].names];
      } else {
        const of = [...new Set(chosen.map((a) => a.names[0]))];
        policies = of.length === 1 ? of : [{ kind: "any", of }];
      }
    }
    const scopeSets = new Set(chosen.map((a) => JSON.stringify(a.scopes)));
    if (scopeSets.size === 1) {
      const scopes = chosen[0].scopes;
      if (scopes.length > 0) policies.push({ kind: "require", scopes });
    } else {
      this.notMapped(at, "the alternatives ask for different scopes: no scopes are required at the gateway on this route");
    }
    return policies;
  }

  use(name) {
    if (this.policies.has(name)) return;
    for (const s of this.schemes.values()) {
      if (s.name === name) this.policies.set(name, s);
    }
  }
}

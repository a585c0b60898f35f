// OpenAPI security schemes -> Gatehouse authentication policies, and security requirements ->
// each route's `policies`.
//
// Contract: http bearer, oauth2 and openIdConnect become `jwt` policies (JWKS URL a `${VAR}`;
// the issuer from `openIdConnectUrl` when there is one), apiKey in a header or the query
// becomes `api_key` (KV binding API_KEYS), 3.1 mutualTLS becomes `mtls`. A requirement's
// scopes become a `require` policy after the authentication. Anything the gateway cannot
// enforce as written (http basic, API keys in cookies, optional authentication, alternatives
// with different scopes, ...) is reported through `notMapped`, saying what the route does
// instead; a route is never given weaker checks without a `weaker` line saying so, and an
// operation whose authentication the gateway cannot enforce at all is not imported.

import { isObject, pointer } from "./document.mjs";
import { importedVar, slugName } from "./names.mjs";

/** RFC 6749 scope-token: what a `require` policy's `scopes` may hold. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

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
      const jwks = importedVar(name, "JWKS_URL");
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

  /** The route's policies for an operation's requirements (`security` at `at`):
   * `{ policies }`, or `{ refuse: reason }` when the document asks for authentication and the
   * gateway can enforce none of it (the route must then not be imported: an open route would
   * let every client through). Whatever the gateway checks less strictly than the document
   * (a scheme of a combined requirement it cannot check, scopes only some alternatives ask
   * for) is reported with `weaker: true`; what it refuses that the document accepts is
   * reported plainly. */
  routePolicies(requirements, at) {
    if (!Array.isArray(requirements) || requirements.length === 0) return { policies: [] };
    if (requirements.some((r) => isObject(r) && Object.keys(r).length === 0)) {
      this.notMapped(at, "authentication is optional here (an empty requirement): the gateway enforces none on this route");
      return { policies: [] };
    }
    const alternatives = [];
    const badScopes = [];
    requirements.forEach((req, i) => {
      if (!isObject(req)) {
        this.notMapped(at + pointer(i), "not a security requirement object");
        return;
      }
      const names = [];
      const missing = [];
      let scopes = [];
      for (const [scheme, wanted] of Object.entries(req)) {
        const p = this.scheme(scheme);
        if (!p.name) {
          missing.push({ at: at + pointer(i, scheme), reason: p.reason });
          continue;
        }
        names.push(p.name);
        if (Array.isArray(wanted)) scopes = [...scopes, ...wanted.filter((w) => typeof w === "string")];
      }
      const invalid = scopes.filter((w) => !SCOPE_TOKEN.test(w));
      if (invalid.length > 0) badScopes.push({ at: at + pointer(i), invalid: [...new Set(invalid)] });
      scopes = scopes.filter((w) => SCOPE_TOKEN.test(w));
      alternatives.push({ names, missing, scopes: [...new Set(scopes)].sort(), index: i });
    });
    const whole = alternatives.filter((a) => a.missing.length === 0);
    const partial = alternatives.filter((a) => a.missing.length > 0 && a.names.length > 0);
    if (whole.length === 0 && partial.length === 0) {
      const reasons = alternatives.flatMap((a) => a.missing);
      for (const m of reasons) this.notMapped(m.at, `${m.reason}; the route is not imported`);
      return {
        refuse:
          "not imported: the gateway can enforce none of its security requirements, and an open route would let every client through; " +
          "add the route by hand if the upstream checks these credentials itself",
      };
    }
    // Alternatives the gateway checks in full win; when there are none, it enforces the part
    // of each combined requirement it can check and the upstream must check the rest.
    const usable = whole.length > 0 ? whole : partial;
    let chosen;
    let policies;
    if (usable.length === 1) {
      chosen = usable;
      policies = [...usable[0].names];
    } else {
      chosen = usable.filter((a) => a.names.length === 1);
      if (chosen.length === 0) chosen = [usable[0]];
      const of = [...new Set(chosen.map((a) => a.names[0]))];
      policies = chosen.length === 1 ? [...chosen[0].names] : of.length === 1 ? of : [{ kind: "any", of }];
    }
    for (const a of alternatives) {
      if (chosen.includes(a)) {
        for (const n of a.names) this.use(n);
        const kept = a.names.join(" + ") + (a.scopes.length > 0 ? ` and the scopes ${a.scopes.join(", ")}` : "");
        for (const m of a.missing) {
          this.notMapped(
            m.at,
            `${m.reason}: NOT CHECKED by the gateway on this route, the upstream must check it (credentials are passed through); the gateway still enforces ${kept}`,
            { weaker: true },
          );
        }
      } else if (a.missing.length > 0) {
        for (const m of a.missing) this.notMapped(m.at, `${m.reason}; clients using this alternative are refused at the gateway`);
      } else {
        this.notMapped(at + pointer(a.index), "an alternative that needs several schemes at once cannot be one of several alternatives at the gateway: refused");
      }
    }
    for (const b of badScopes) {
      const a = alternatives.find((x) => at + pointer(x.index) === b.at);
      if (!chosen.includes(a)) continue;
      this.notMapped(
        b.at,
        `${b.invalid.map((w) => JSON.stringify(w)).join(", ")} ${b.invalid.length > 1 ? "are not valid scope tokens" : "is not a valid scope token"} (RFC 6749): NOT CHECKED by the gateway on this route`,
        { weaker: true },
      );
    }
    // One `require` serves every alternative: the scopes they all ask for. Any other scope is
    // one the gateway does not check, and that is said.
    const common = chosen.map((a) => a.scopes).reduce((acc, s) => acc.filter((x) => s.includes(x)));
    if (common.length > 0) policies.push({ kind: "require", scopes: common });
    const unchecked = [...new Set(chosen.flatMap((a) => a.scopes))].filter((s) => !common.includes(s)).sort();
    if (unchecked.length > 0) {
      this.notMapped(
        at,
        `the alternatives ask for different scopes: the gateway requires ${common.length > 0 ? `only the scopes they share (${common.join(", ")})` : "no scope"}; ` +
          `NOT CHECKED by the gateway on this route: ${unchecked.join(", ")} (the upstream must check them)`,
        { weaker: true },
      );
    }
    return { policies };
  }

  use(name) {
    if (this.policies.has(name)) return;
    for (const s of this.schemes.values()) {
      if (s.name === name) this.policies.set(name, s);
    }
  }
}

// Names the importer makes from the document's strings: policy and upstream names, and the
// `${VAR}`s routes use for what the document leaves to the deployment.
//
// Contract: `importedVar` answers `OPENAPI_<PARTS>` (A-Z 0-9 _). Gatehouse's own variables,
// secrets and bindings never start with `OPENAPI_`, so a document (a title "Admin" and a server
// variable `{token}`, say) can never make an upstream URL carry `${ADMIN_TOKEN}`; a name in
// `GATEWAY_NAMES` is renamed (`_IMPORTED` appended) even so, should one ever get that prefix.

/** Every `[vars]` entry, secret and binding the gateway or its tooling reads (README,
 * wrangler.toml, scripts/). `API_KEYS` is here too: the importer names it on purpose, as the
 * store of `api_key` policies, never as a generated variable. */
export const GATEWAY_NAMES = new Set([
  "ADMIN_TOKEN", "JWT_SECRET", "API_KEYS", "ANALYTICS", "RATE_LIMITER", "CACHE_GENERATIONS",
  "ECHO_ORIGIN", "POOL_A", "POOL_B", "POOL_C", "SHADOW", "IDP_ORIGIN", "INTERNAL_API",
  "GATEHOUSE_ROUTES", "GATEHOUSE_TEST_CLOCK", "GATEHOUSE_TEST_CACHE_FAULT",
  "CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_API_TOKEN",
  "LLM_OPENAI_URL", "LLM_OPENAI_KEY", "LLM_ANTHROPIC_URL", "LLM_ANTHROPIC_KEY", "AI",
]);

/** The prefix of every variable the importer makes up. */
export const IMPORTED_PREFIX = "OPENAPI_";

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

/** `OPENAPI_<PARTS>`: a variable name no gateway variable, secret or binding has. */
export function importedVar(...parts) {
  const name = IMPORTED_PREFIX + varName(...parts);
  return GATEWAY_NAMES.has(name) ? `${name}_IMPORTED` : name;
}

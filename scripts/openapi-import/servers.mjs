// Servers -> upstreams, and the version folder the routes go into.
//
// Contract: `versionOf(doc)` answers a version folder name; `Upstreams.forServers` answers the
// upstream for an operation's effective `servers` (one upstream per distinct server), with
// `rewrite` set when the routes must send the document's path rather than the public one.
// Server variables become `${OPENAPI_<UPSTREAM>_<NAME>}`s (names.mjs `importedVar`), recorded in `variables` with their default and enum;
// servers beyond the first are reported through `note`. A server URL that is not http(s) or
// relative, or has a query or fragment, throws `InvalidDocument`.

import { InvalidDocument, isObject } from "./document.mjs";
import { importedVar } from "./names.mjs";

/** The version folder: the last segment of the first server's path when it names a version
 * (`https://api.example.com/v2` -> "v2", what clients already call), else from `info.version`
 * ("2.3.1" -> "v2"; "2024-01-15" -> "v2024-01-15"; else "v1"). */
export function versionOf(doc) {
  const first = Array.isArray(doc.servers) && isObject(doc.servers[0]) ? doc.servers[0].url : undefined;
  const fromServer = typeof first === "string" ? /\/(v\d+(?:\.\d+)?)\/*$/i.exec(first) : null;
  if (fromServer) return fromServer[1].toLowerCase();
  const v = doc.info.version.trim().replace(/^v/i, "");
  const semver = /^(\d+)(?:\.\d+)*(?:[-+].*)?$/.exec(v);
  if (semver && !/^\d{4}-\d{2}-\d{2}$/.test(v)) return `v${Number(semver[1])}`;
  const slug = v.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[-.]+|-+$/g, "");
  return slug ? `v${slug}` : "v1";
}

/** Servers -> upstreams: one per distinct URL. */
export class Upstreams {
  constructor(base, variables, note) {
    this.base = base;
    this.variables = variables;
    this.note = note;
    /** "<rewrite> <url>" -> upstream */
    this.byUrl = new Map();
    /** the first server object as JSON -> upstream */
    this.byServer = new Map();
    this.noted = new Set();
  }

  /** The upstream for a `servers` list (at `at`): `{ name, rewrite }`. `rewrite` is true when
   * the server URL does not end with the version folder, so the route sends the document's
   * path (not the public one, which carries the version) upstream. */
  forServers(servers, at, version) {
    const list = Array.isArray(servers) ? servers.filter(isObject) : [];
    const key = JSON.stringify(list[0] ?? null);
    if (this.byServer.has(key)) return this.byServer.get(key);
    const name = this.byUrl.size === 0 ? this.base : `${this.base}-${this.byUrl.size + 1}`;
    if (list.length > 1 && !this.noted.has(at)) {
      this.noted.add(at);
      this.note(at, `${list.length} servers: the first is the upstream; make the others pool targets by hand (README "Upstream pools")`);
    }
    let url;
    const server = list[0];
    if (server === undefined || typeof server.url !== "string" || server.url === "" || server.url === "/") {
      url = `\${${importedVar(name, "ORIGIN")}}`;
      this.variables.push({ name: importedVar(name, "ORIGIN"), note: `the origin (scheme://host[:port]) of the API (${at} names none)` });
    } else {
      url = server.url;
      const vars = isObject(server.variables) ? server.variables : {};
      url = url.replace(/\{([^{}]+)\}/g, (_, v) => {
        const envName = importedVar(name, v);
        const spec = vars[v] ?? {};
        const bits = [];
        if (spec.default !== undefined) bits.push(`default ${JSON.stringify(spec.default)}`);
        if (Array.isArray(spec.enum)) bits.push(`one of ${spec.enum.join(", ")}`);
        this.variables.push({ name: envName, note: `server variable "${v}" of ${at}/0${bits.length ? ` (${bits.join("; ")})` : ""}` });
        return `\${${envName}}`;
      });
      if (url.startsWith("/")) {
        const origin = importedVar(name, "ORIGIN");
        this.variables.push({ name: origin, note: `the origin (scheme://host[:port]) the relative server URL "${server.url}" is on` });
        url = `\${${origin}}${url}`;
      } else if (!/^(?:https?:\/\/|\$\{)/.test(url)) {
        throw new InvalidDocument(`${at}/0/url: "${server.url}" is not an http(s) URL`);
      }
      if (/[?#]/.test(url)) throw new InvalidDocument(`${at}/0/url: "${server.url}" has a query or fragment`);
      url = url.replace(/\/+$/, "");
    }
    const suffix = `/${version}`;
    const afterHost = url.replace(/^[a-z$]+[^/]*\/\/[^/]*/i, "");
    const rewrite = !afterHost.toLowerCase().endsWith(suffix);
    const base = rewrite ? url : url.slice(0, -suffix.length);
    const up = this.byUrl.get(`${rewrite} ${base}`) ?? { name, url: base, rewrite };
    this.byUrl.set(`${rewrite} ${base}`, up);
    this.byServer.set(key, up);
    return up;
  }

  get all() {
    return [...this.byUrl.values()];
  }
}

// The Cache API's backing store for the benchmark's workerd (cacheApiOutbound): workerd sends
// cache.match as GET, cache.put as PUT with the serialised HTTP response as body, and
// cache.delete as PURGE, each to the entry's URL. An in-memory map, honouring max-age /
// s-maxage for expiry; shared by every system in the run, like a data center's cache.
const store = new Map();

function lifetimeMs(headers) {
  const cc = headers.get("cache-control") ?? "";
  const m = /(?:^|,)\s*s-maxage=(\d+)/i.exec(cc) ?? /(?:^|,)\s*max-age=(\d+)/i.exec(cc);
  return m ? Number(m[1]) * 1000 : 0;
}

function parseResponse(bytes) {
  const text = new TextDecoder("latin1").decode(bytes);
  const end = text.indexOf("\r\n\r\n");
  const lines = text.slice(0, end).split("\r\n");
  const status = Number(lines[0].split(" ")[1]);
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return { status, headers, body: bytes.slice(end + 4) };
}

export default {
  async fetch(req, env) {
    const key = `${req.headers.get("cf-cache-namespace") ?? ""} ${req.url}`;
    if (req.method === "PUT") {
      const res = parseResponse(new Uint8Array(await req.arrayBuffer()));
      const ttl = lifetimeMs(res.headers);
      if (ttl <= 0 || res.headers.has("set-cookie")) return new Response(null, { status: 413 });
      res.headers.delete("transfer-encoding");
      store.delete(key);
      store.set(key, { ...res, expires: Date.now() + ttl });
      const max = Number(env.MAX_ENTRIES ?? 0);
      if (max > 0 && store.size > max) store.delete(store.keys().next().value);
      return new Response(null, { status: 204 });
    }
    if (req.method === "PURGE") return new Response(null, { status: store.delete(key) ? 200 : 404 });
    const hit = store.get(key);
    if (!hit || hit.expires <= Date.now()) {
      store.delete(key);
      return new Response(null, { status: 504, headers: { "cf-cache-status": "MISS" } });
    }
    const headers = new Headers(hit.headers);
    headers.set("cf-cache-status", "HIT");
    return new Response(hit.body, { status: hit.status, headers });
  },
};

// A closed-loop load client on raw keep-alive sockets: latency percentiles, requests per
// connection, and every request slower than 50 ms with its connection and start time (ms).
// STATUS=1 also counts Cache-Status values other than memory hits per second.
// usage: node bench/diag/raw-client.mjs <port> <path> [seconds] [connections]
import net from "node:net";
const [port, path, secs = "6", conns = "16"] = process.argv.slice(2);
const req = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
const t0 = performance.now(); const lat = []; const perConn = []; const slow = []; const statuses = new Map();
await Promise.all(Array.from({ length: Number(conns) }, (_, id) => new Promise((done) => {
  const s = net.connect(Number(port), "127.0.0.1"); s.setNoDelay(true);
  let buf = ""; let start = 0; perConn[id] = 0;
  const send = () => { if (performance.now() - t0 > Number(secs) * 1000) { s.end(); return done(); } start = performance.now(); s.write(req); };
  s.on("connect", send);
  s.on("data", (d) => {
    buf += d.toString("latin1");
    for (;;) {
      const e = buf.indexOf("\r\n\r\n"); if (e < 0) return;
      const m = /content-length:\s*(\d+)/i.exec(buf.slice(0, e)); const len = m ? Number(m[1]) : 0;
      if (buf.length < e + 4 + len) return;
      const cs = /cache-status:\s*([^\r]*)/i.exec(buf.slice(0, e)); const k = `${Math.floor((start - t0) / 1000)}s ${cs ? cs[1].replace(/^gatehouse; /, "") : "-"}`; statuses.set(k, (statuses.get(k) ?? 0) + 1);
      buf = buf.slice(e + 4 + len);
      const d2 = performance.now() - start; lat.push(d2); perConn[id]++;
      if (d2 > 50) slow.push(`${id}@${Math.round(start - t0)}:${Math.round(d2)}`);
      send();
    }
  });
})));
lat.sort((a, b) => a - b); const n = lat.length;
console.log(`n=${n} rps=${Math.round(n / Number(secs))} p50=${lat[n >> 1].toFixed(1)} p99=${lat[Math.floor(n * 0.99)].toFixed(1)} max=${lat[n - 1].toFixed(1)} perConn=${perConn.join(",")}`);
console.log(slow.slice(0, 60).join(" "));
if (process.env.STATUS) console.log([...statuses].filter(([k]) => !k.endsWith("detail=memory")).map(([k, v]) => `${k}=${v}`).join("\n"));

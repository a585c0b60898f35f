// Checks the internal links of the built book (`make docs`): every relative href/src in every
// HTML page must name a file of the build, and every #fragment an id (or name) in the page it
// points at. External links (a scheme such as https: or mailto:, or //host) are not fetched.
// Usage: node scripts/check-book-links.mjs [BOOK_DIR]   (default docs/book); exit 1 on a broken link.
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { join, dirname, relative, resolve, sep } from "node:path";

const root = resolve(process.argv[2] ?? "docs/book");
if (!existsSync(root) || !statSync(root).isDirectory()) {
  console.error(`check-book-links: ${root} is not a directory (build the book first: make docs)`);
  process.exit(2);
}

function htmlFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return htmlFiles(p);
    return e.name.endsWith(".html") ? [p] : [];
  });
}

const idCache = new Map();
/** The ids (and <a name=...>) of one HTML file. */
function idsOf(file) {
  if (!idCache.has(file)) {
    const html = readFileSync(file, "utf8");
    const ids = new Set();
    for (const m of html.matchAll(/\s(?:id|name)\s*=\s*"([^"]*)"/g)) ids.add(decodeEntities(m[1]));
    idCache.set(file, ids);
  }
  return idCache.get(file);
}

function decodeEntities(s) {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const isExternal = (url) => /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(url) || url.startsWith("//");

const broken = [];
let checked = 0;
for (const page of htmlFiles(root)) {
  const html = readFileSync(page, "utf8")
    // Code samples may contain href-like text; only real attributes count.
    .replace(/<code[\s\S]*?<\/code>/g, "");
  for (const m of html.matchAll(/\s(href|src)\s*=\s*"([^"]*)"/g)) {
    const url = decodeEntities(m[2]);
    if (url === "" || isExternal(url)) continue;
    checked++;
    const [pathAndQuery, fragment] = url.split("#", 2);
    const path = pathAndQuery.split("?")[0];
    let target = page;
    if (path !== "") {
      target = path.startsWith("/") ? join(root, safeDecode(path)) : join(dirname(page), safeDecode(path));
      if (existsSync(target) && statSync(target).isDirectory()) target = join(target, "index.html");
      if (!resolve(target).startsWith(root + sep) || !existsSync(target)) {
        broken.push(`${relative(root, page)}: ${m[1]}="${url}": no file ${relative(root, target)}`);
        continue;
      }
    }
    if (fragment !== undefined && fragment !== "" && target.endsWith(".html")) {
      if (!idsOf(target).has(safeDecode(fragment))) {
        broken.push(`${relative(root, page)}: ${m[1]}="${url}": ${relative(root, target)} has no id "${fragment}"`);
      }
    }
  }
}

if (broken.length > 0) {
  console.error(`check-book-links: ${broken.length} broken link(s) in ${root}:`);
  for (const b of broken) console.error(`  ${b}`);
  process.exit(1);
}
console.log(`check-book-links: ${checked} internal links in ${root} resolve`);

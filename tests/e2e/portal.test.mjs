// The developer portal in a real browser (Debian's headless Chromium via playwright-core, as
// in browser.test.mjs): it lists the example routes from the OpenAPI document, one card per
// path with each method's own details; search and the sidebar (versions, tags) find them;
// lifecycle (deprecated, retired, successor), the full auth requirement and rate limits (burst
// included) are shown; its try-it console sends real requests through the gateway to a
// loopback origin, showing problems (401, 429, 422) readably. Set PORTAL_SCREENSHOT=<file.png>
// to save a screenshot (docs/portal.png is made this way).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, launchChromium, clockAt } from "./harness.mjs";
import { startOrigin } from "../../scripts/demo-origin.mjs";

const s = {};
before(async () => {
  s.origin = await startOrigin();
  s.gw = await startGateway({ ECHO_ORIGIN: s.origin.url });
  s.browser = await launchChromium();
  s.page = await s.browser.newPage({ viewport: { width: 1200, height: 900 } });
  s.requested = [];
  s.page.on("request", (r) => s.requested.push(r.url()));
  await s.page.goto(`${s.gw.url.origin}/docs`);
  await s.page.waitForSelector('[data-operation="v1-get-user"]');
  s.doc = await (await fetch(`${s.gw.url.origin}/openapi.json`)).json();
});
after(async () => {
  await s.browser?.close();
  await s.gw?.close();
  await s.origin?.close();
});

/** Opens an operation's try-it form, fills `fields` (input name -> value), sends, and waits for the answer. */
async function send(operation, fields = {}, body) {
  const article = s.page.locator(`section.op[data-operation="${operation}"]`);
  await article.locator("summary").click();
  for (const [name, value] of Object.entries(fields)) await article.locator(`input[name="${name}"]`).fill(value);
  if (body !== undefined) await article.locator("textarea").fill(body);
  await article.locator('button[type="submit"]').click();
  const result = article.locator(".result [data-status]");
  await result.waitFor();
  return { status: Number(await result.getAttribute("data-status")), text: await result.innerText(), article };
}

test("the portal lists versions, routes, auth schemes, rate limits and deprecations", async () => {
  const text = await s.page.locator("main").innerText();
  assert.equal(await s.page.title(), "Gatehouse demo API");
  for (const expected of ["/v1/users/{id}", "/v2/users/{id}", "/v1/signups", "Read a user", "Sign up a new account"]) {
    assert.ok(text.includes(expected), expected);
  }
  const versions = await s.page.locator("#versions a").evaluateAll((l) => l.map((a) => a.dataset.version));
  assert.deepEqual(versions, ["v1", "v2"]);
  const user = await s.page.locator('[data-operation="v1-get-user"]').innerText();
  assert.match(user, /deprecated/);
  assert.match(user, /sunset Thu, 31 Dec 2099 00:00:00 GMT/);
  const partner = await s.page.locator('[data-operation="v1-partner"]').innerText();
  assert.match(partner, /API key in header "x-api-key"/);
  const search = await s.page.locator('[data-operation="v1-search"]').innerText();
  assert.match(search, /Rate limits: .*per-second/);
  assert.ok(text.includes("bearer JWT"), "JWT routes show their scheme");
  const foreign = s.requested.filter((u) => !u.startsWith(s.gw.url.origin));
  assert.deepEqual(foreign, [], "everything the page loads comes from the gateway");
});

/** The paths of the cards shown, in page order. */
const visiblePaths = () => s.page.locator("article.card:not([hidden])").evaluateAll((l) => l.map((a) => a.dataset.path));

/** Types `text` into the search box (the filter runs on each input). */
const search = (text) => s.page.locator("#search").fill(text);

/** Scrolls the page back to its top. */
const toTop = () => s.page.evaluate(() => window.scrollTo(0, 0));

/** Whether element `id`'s top is in the viewport, the page scrolled down to it (after toTop). */
const scrolledTo = (id) => s.page.evaluate((id) => {
  const top = document.getElementById(id).getBoundingClientRect().top;
  return window.scrollY > 0 && top >= 0 && top < window.innerHeight - 50;
}, id);

test("one card per path, listing each of its methods with its own details", async () => {
  const paths = Object.keys(s.doc.paths);
  const cards = await s.page.locator("article.card").evaluateAll((l) => l.map((a) => a.dataset.path));
  assert.deepEqual([...cards].sort(), [...paths].sort(), "exactly one card for each path of /openapi.json");
  const user = s.page.locator('article.card[data-path="/v1/users/{id}"]');
  const methods = await user.locator("section.op").evaluateAll((l) => l.map((o) => o.dataset.method));
  assert.deepEqual(methods, ["get", "put", "patch", "delete"]);
  assert.deepEqual(await user.locator(".card-head .method-chip").allInnerTexts(), ["GET", "PUT", "PATCH", "DELETE"]);
  assert.match(await user.locator('section.op[data-method="get"]').innerText(), /Read a user/);
  assert.match(await user.locator('section.op[data-method="put"]').innerText(), /Replaces, edits or deletes a user/);
  assert.equal(await user.locator("section.op details").count(), 4, "each method has its own try-it form");
  const unsummarised = await s.page.locator(".summary.none").count();
  assert.equal(unsummarised, 0, "every example route has a summary");
});

test("search narrows the cards by path, summary, tag and operationId", async () => {
  const total = Object.keys(s.doc.paths).length;
  await search("reports summary");
  assert.deepEqual(await visiblePaths(), ["/v1/reports/summary", "/v2/reports/summary"]);
  assert.match(await s.page.locator("#count").innerText(), new RegExp(`^2 of ${total} paths`));
  await search("v1-signup");
  assert.deepEqual(await visiblePaths(), ["/v1/signups"], "by operationId");
  await search("Sign up a new");
  assert.deepEqual(await visiblePaths(), ["/v1/signups"], "by summary, any case");
  await search("accounts");
  assert.ok((await visiblePaths()).includes("/v1/signups"), "by tag");
  await search("zzz-no-such-route");
  assert.deepEqual(await visiblePaths(), []);
  assert.equal(await s.page.locator("#nothing").isVisible(), true);
  assert.equal(await s.page.locator("section#v2").isVisible(), false, "a version with nothing shown is hidden");
  await search("");
  assert.equal((await visiblePaths()).length, total);
});

test("sidebar links jump to a version and filter by tag", async () => {
  const total = Object.keys(s.doc.paths).length;
  await toTop();
  await s.page.locator('#versions a[data-version="v2"]').click();
  await s.page.waitForFunction(() => location.hash === "#v2");
  assert.ok(await scrolledTo("v2"), "the v2 section is scrolled into view");
  const tags = await s.page.locator("#tags a").evaluateAll((l) => l.map((a) => a.dataset.tag));
  assert.deepEqual(tags, ["", "accounts", "search", "users"]);
  await s.page.locator('#tags a[data-tag="users"]').click();
  await s.page.waitForFunction(() => location.hash === "#tag=users");
  assert.deepEqual(await visiblePaths(), ["/v1/users/{id}"]);
  assert.match(await s.page.locator("#count").innerText(), /tag "users"/);
  await s.page.locator('#tags a[data-tag=""]').click();
  await s.page.waitForFunction(() => location.hash === "#tag=");
  assert.equal((await visiblePaths()).length, total);
});

test("an operation the gateway retired (past its sunset by the gateway's clock) is shown as a retired card, whatever the viewer's clock", async () => {
  // The harness's calendar day (2027-03-01) is past /v1/reports/summary's sunset: the document
  // moves it out of the operations, to x-gatehouse-retired-get.
  const item = s.doc.paths["/v1/reports/summary"];
  assert.equal(item.get, undefined);
  assert.equal(item["x-gatehouse-retired-get"].operationId, "v1-report-summary");
  const sunset = Date.parse(item["x-gatehouse-retired-get"]["x-sunset"]);
  const page = await s.browser.newPage();
  await page.clock.setFixedTime(new Date(sunset - 86_400_000));
  await page.goto(`${s.gw.url.origin}/docs`);
  const section = page.locator('[data-operation="v1-report-summary"]');
  await section.waitFor();
  assert.deepEqual(await section.locator("[data-state]").evaluateAll((l) => l.map((b) => b.dataset.state)), ["retired"]);
  assert.match(await section.innerText(), /Retired since Wed, 30 Sep 2026 00:00:00 GMT: the gateway answers 410 Gone/);
  await page.close();
});

test("an operation whose sunset passes while the page is read shows as retired (410), in the viewer's clock", async () => {
  // A gateway whose calendar is before the sunset still lists the operation; the page decides
  // with the browser's clock: a day before the sunset it is only deprecated, a day after it is
  // retired.
  const gw = await startGateway({ ECHO_ORIGIN: s.origin.url, ...clockAt("2026-09-01T00:00:00Z") });
  try {
    const doc = await (await fetch(`${gw.url.origin}/openapi.json`)).json();
    const sunset = Date.parse(doc.paths["/v1/reports/summary"].get["x-sunset"]);
    const day = 86_400_000;
    const at = async (time) => {
      const page = await s.browser.newPage();
      await page.clock.setFixedTime(new Date(time));
      await page.goto(`${gw.url.origin}/docs`);
      const section = page.locator('[data-operation="v1-report-summary"]');
      await section.waitFor();
      const out = {
        states: await section.locator("[data-state]").evaluateAll((l) => l.map((b) => b.dataset.state)),
        text: await section.innerText(),
        userStates: await page.locator('[data-operation="v1-get-user"] [data-state]').evaluateAll((l) => l.map((b) => b.dataset.state)),
      };
      await page.close();
      return out;
    };
    const before = await at(sunset - day);
    assert.deepEqual(before.states, ["deprecated"]);
    assert.doesNotMatch(before.text, /410/);
    const after = await at(sunset + day);
    assert.deepEqual(after.states, ["retired"]);
    assert.match(after.text, /Retired since Wed, 30 Sep 2026 00:00:00 GMT: the gateway answers 410 Gone/);
    assert.deepEqual(after.userStates, ["deprecated"], "a route with a later sunset is not retired");
  } finally {
    await gw.close();
  }
});

test("a deprecated v1 operation links to its v2 successor", async () => {
  await search("v1-get-user");
  assert.deepEqual(await visiblePaths(), ["/v1/users/{id}"]);
  const link = s.page.locator('[data-operation="v1-get-user"] a.successor');
  assert.equal(await link.innerText(), "GET /v2/users/{id}");
  await toTop();
  await link.click();
  assert.equal(await s.page.locator("#search").inputValue(), "", "following the link clears the search");
  assert.ok((await visiblePaths()).includes("/v2/users/{id}"));
  assert.ok(await scrolledTo("op:get:/v2/users/{id}"), "the successor is scrolled into view");
  assert.equal(await s.page.locator('[data-operation="v1-update-user.put"] a.successor').count(), 0, "v2 has no PUT /users/{id}");
  assert.equal(await s.page.locator('[data-operation="v2-get-user"] a.successor').count(), 0);
});

test("the full auth requirement is shown: credentials, scopes, roles and claims", async () => {
  const admin = await s.page.locator('[data-operation="v1-admin"] .auth').innerText();
  assert.match(admin, /Auth: bearer JWT from https:\/\/id\.gatehouse\.test\//);
  assert.match(admin, /Roles \(one of\): admin/);
  assert.match(admin, /Claims: org = acme/);
  assert.match(await s.page.locator('[data-operation="v1-orders"] .auth-scopes').innerText(), /^Scopes \(all of\): orders:read$/);
  const partner = await s.page.locator('[data-operation="v1-partner"] .auth').innerText();
  assert.match(partner, /API key in header "x-api-key"/);
  assert.match(partner, /Scopes \(one of\): data:read, data:admin/);
  const either = await s.page.locator('[data-operation="v1-either"] .auth').innerText();
  assert.match(either, /^Auth: bearer JWT .* or API key in header "x-api-key"$/);
  const browser = await s.page.locator('[data-operation="v1-browser"] .auth').innerText();
  assert.match(browser, /also in cookie "session" or query "access_token"/);
  assert.match(await s.page.locator('[data-operation="v1-mtls-pinned"] .auth').innerText(), /client certificate \(listed certificates only\)/);
  assert.equal(await s.page.locator('[data-operation="v1-search"] .auth').innerText(), "Auth: none");
});

test("rate limits show their algorithm, key, plans and burst", async () => {
  const search = await s.page.locator('[data-operation="v1-search"] .limits').innerText();
  assert.equal(search, "Rate limits: per-second: 5 per 1s, burst 10 (token bucket, per ip)");
  const partner = await s.page.locator('[data-operation="v1-partner-reports"] .limit').allInnerTexts();
  assert.ok(partner.includes("daily: 1000 per UTC day (calendar, per consumer)"), partner.join(" | "));
  assert.ok(partner.includes("per-minute: 1000 per 1min (sliding window, per consumer, plan gold)"), partner.join(" | "));
});

test("try it reaches the loopback origin through the gateway", async () => {
  const { status, text } = await send("v1-get-user", { "path:id": "42" });
  assert.equal(status, 200);
  assert.match(text, /"path": "\/internal\/users\/42"/);
  assert.equal(s.origin.received.at(-1).path, "/internal/users/42");
});

test("a 401 shows as a problem", async () => {
  const { status, article } = await send("v1-partner");
  assert.equal(status, 401);
  const problem = await article.locator(".problem").innerText();
  assert.match(problem, /^401 /);
  assert.match(problem, /urn:gatehouse:problem:/);
});

test("a 429 shows as a problem", async () => {
  let last;
  for (let i = 0; i < 5; i++) {
    const article = s.page.locator('[data-operation="v1-cached-limited"]');
    if (i === 0) await article.locator("summary").click();
    await article.locator('input[name="path:id"]').fill(`p${i}`);
    await article.locator('button[type="submit"]').click();
    await article.locator(".result [data-status]").waitFor();
    last = { status: Number(await article.locator(".result [data-status]").getAttribute("data-status")), article };
    if (last.status === 429) break;
  }
  assert.equal(last.status, 429);
  const problem = await last.article.locator(".problem").innerText();
  assert.match(problem, /^429 /);
  assert.match(problem, /rate-limited/);
});

test("a validation failure lists each failing field", async () => {
  const { status, article } = await send("v1-signup", {}, '{"email": "a"}');
  assert.equal(status, 422);
  const items = await article.locator(".problem li").allInnerTexts();
  assert.ok(items.some((i) => i.startsWith("/name")), items.join("|"));
  assert.ok(items.some((i) => i.startsWith("/email")), items.join("|"));
});

test("the portal's screenshot: a search showing cards with their lifecycle, auth and limits", async () => {
  await s.page.reload();
  await s.page.waitForSelector('[data-operation="v1-get-user"]');
  await search("reports");
  const shown = await visiblePaths();
  assert.ok(shown.includes("/v1/reports/summary") && shown.includes("/v1/partner/reports"), shown.join(","));
  await s.page.evaluate(() => window.scrollTo(0, 0));
  if (process.env.PORTAL_SCREENSHOT) await s.page.screenshot({ path: process.env.PORTAL_SCREENSHOT, fullPage: false });
});

// The developer portal in a real browser (Debian's headless Chromium via playwright-core, as
// in browser.test.mjs): it lists the example routes from the OpenAPI document, and its try-it
// console sends real requests through the gateway to a loopback origin, showing problems
// (401, 429, 422) readably. Set PORTAL_SCREENSHOT=<file.png> to save a screenshot.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, launchChromium } from "./harness.mjs";
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
  await s.page.waitForSelector('article[data-operation="v1-get-user"]');
});
after(async () => {
  await s.browser?.close();
  await s.gw?.close();
  await s.origin?.close();
});

/** Opens an operation's try-it form, fills `fields` (input name -> value), sends, and waits for the answer. */
async function send(operation, fields = {}, body) {
  const article = s.page.locator(`article[data-operation="${operation}"]`);
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
  const versions = await s.page.locator("nav a").allInnerTexts();
  assert.ok(versions.includes("v1") && versions.includes("v2"), versions.join(","));
  const user = await s.page.locator('article[data-operation="v1-get-user"]').innerText();
  assert.match(user, /deprecated/);
  assert.match(user, /sunset Thu, 31 Dec 2099 00:00:00 GMT/);
  const partner = await s.page.locator('article[data-operation="v1-partner"]').innerText();
  assert.match(partner, /API key in header "x-api-key"/);
  const search = await s.page.locator('article[data-operation="v1-search"]').innerText();
  assert.match(search, /Rate limits: .*per-second/);
  assert.ok(text.includes("bearer JWT"), "JWT routes show their scheme");
  const foreign = s.requested.filter((u) => !u.startsWith(s.gw.url.origin));
  assert.deepEqual(foreign, [], "everything the page loads comes from the gateway");
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
    const article = s.page.locator('article[data-operation="v1-cached-limited"]');
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
  if (process.env.PORTAL_SCREENSHOT) await s.page.screenshot({ path: process.env.PORTAL_SCREENSHOT, fullPage: false });
});

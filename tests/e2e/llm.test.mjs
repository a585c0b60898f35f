// LLM provider routes end to end (issue 29): the official `openai` client -> the built worker
// (routes/v1/ai.toml, policies ai-key, ai-tokens, ai) -> the provider double (llm-double.mjs,
// OpenAI and Anthropic wire formats) and the Workers AI binding double (workers-ai.mjs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import OpenAI from "openai";
import { startGateway, request, expectProblem, putApiKey, logOf, requestId, clockAt, within, logLines, until, DEFAULT_DAY } from "./harness.mjs";
import { startLlmDouble } from "./llm-double.mjs";
import { workersAiBinding } from "./workers-ai.mjs";
import { replyWords } from "./llm-wire.mjs";

// What the gateway reports as the provider (x-gatehouse-provider, log llm.provider): the
// upstream's name in routes/gateway.toml.
const PROVIDER = { openai: "llm-openai", anthropic: "llm-anthropic", edge: "llm-edge" };
const ADMIN_TOKEN = crypto.randomBytes(32).toString("base64url");
const PRICES = { "gpt-double-ok": { input: 0.15, output: 0.6 }, "claude-double-ok": { input: 3, output: 15 } };

const s = {};
before(async () => {
  s.double = await startLlmDouble();
  const ai = workersAiBinding();
  // Noon on the gateway's calendar: the daily token quota cannot roll over during the run.
  s.gw = await startGateway({
    ...clockAt(`${DEFAULT_DAY}T12:00:00Z`),
    ECHO_ORIGIN: s.double.url,
    ADMIN_TOKEN,
    LLM_OPENAI_URL: `${s.double.url}/v1`,
    LLM_OPENAI_KEY: s.double.openaiKey,
    LLM_ANTHROPIC_URL: s.double.url,
    LLM_ANTHROPIC_KEY: s.double.anthropicKey,
  }, { wrappedBindings: ai.wrappedBindings }, [ai.worker]);
  s.baseURL = new URL("/v1", s.gw.url).href;
});
after(async () => {
  await s.gw?.close();
  await s.double?.close();
});

/** A fresh consumer on `plan` and an openai client using its key against the gateway. */
async function consumer(plan = "gold") {
  const id = `${plan}-${crypto.randomUUID()}`;
  const key = await putApiKey(s.gw, { id, plan });
  return { id, key, client: new OpenAI({ apiKey: key, baseURL: s.baseURL, maxRetries: 0 }) };
}

/** A chat call that also resolves the response headers and the request's access-log line. */
async function chat(client, params) {
  const id = requestId("llm");
  const { data, response } = await client.chat.completions.create(params, { headers: { "x-request-id": id } }).withResponse();
  return { data, headers: response.headers, log: (await logOf(s.gw, id)).llm };
}

const PROMPT = [{ role: "user", content: "Count to five please" }];
const since = (n) => s.double.requests.slice(n);
const cost = (model, i, o) => (i * PRICES[model].input + o * PRICES[model].output) / 1e6;

// ------------------------------------------------------------------------- one client API

test("alias fast: the openai client gets the OpenAI double's completion, with provider and model headers and the usage, cost and attempts in the log", async () => {
  const c = await consumer();
  const { data, headers, log } = await chat(c.client, { model: "fast", messages: PROMPT, max_tokens: 5 });
  assert.equal(data.choices[0].message.content, "alpha bravo charlie delta echo");
  assert.equal(data.choices[0].finish_reason, "length");
  assert.deepEqual([data.usage.prompt_tokens, data.usage.completion_tokens], [4, 5]);
  assert.equal(headers.get("x-gatehouse-provider"), PROVIDER.openai);
  assert.equal(headers.get("x-gatehouse-model"), "gpt-double-ok");
  assert.equal(log.provider, PROVIDER.openai);
  assert.equal(log.model, "gpt-double-ok");
  assert.deepEqual([log.tokens_in, log.tokens_out, log.attempts, log.cached], [4, 5, 1, false]);
  assert.ok(Math.abs(log.cost_usd - cost("gpt-double-ok", 4, 5)) < 1e-12, String(log.cost_usd));
  assert.ok(Number.isFinite(log.ttft_ms) && log.ttft_ms >= 0);
});

test("alias claude: Anthropic's message comes back as a chat.completion (content, finish_reason, usage)", async () => {
  const c = await consumer();
  const mark = s.double.requests.length;
  const { data, headers, log } = await chat(c.client, { model: "claude", messages: [{ role: "system", content: "Be brief." }, ...PROMPT], max_tokens: 3 });
  assert.equal(data.object, "chat.completion");
  assert.equal(data.choices[0].message.role, "assistant");
  assert.equal(data.choices[0].message.content, "alpha bravo charlie");
  assert.equal(data.choices[0].finish_reason, "length", "Anthropic's max_tokens stop reason is OpenAI's length");
  assert.deepEqual([data.usage.prompt_tokens, data.usage.completion_tokens, data.usage.total_tokens], [6, 3, 9]);
  assert.equal(headers.get("x-gatehouse-provider"), PROVIDER.anthropic);
  const [sent] = since(mark);
  assert.equal(sent.path, "/v1/messages");
  assert.equal(sent.model, "claude-double-ok");
  assert.equal(sent.body.max_tokens, 3);
  assert.equal(sent.body.system, "Be brief.", "the system message becomes Anthropic's system field");
  // Anthropic takes a user turn's text as a string or as text blocks: compare the text.
  const text = (content) => (typeof content === "string" ? content : content.map((b) => b.text).join(""));
  assert.deepEqual(
    sent.body.messages.map((m) => [m.role, text(m.content)]),
    PROMPT.map((m) => [m.role, m.content]),
  );
  assert.ok(Math.abs(log.cost_usd - cost("claude-double-ok", 6, 3)) < 1e-12);
  const end = await chat(c.client, { model: "claude", messages: PROMPT, max_tokens: 100 });
  assert.equal(end.data.choices[0].finish_reason, "stop", "end_turn is stop");
});

/** Streams `params` with the openai client; resolves the chunks. */
async function streamed(client, params) {
  const stream = await client.chat.completions.create({ ...params, stream: true });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

for (const [alias, provider] of [["fast", "openai"], ["claude", "anthropic"]]) {
  test(`stream ${alias}: chunks carry the words; include_usage adds the usage-only last chunk, and without it no chunk has usage`, async () => {
    const c = await consumer();
    const plain = await streamed(c.client, { model: alias, messages: PROMPT, max_tokens: 4 });
    assert.equal(plain.map((k) => k.choices[0]?.delta?.content ?? "").join(""), "alpha bravo charlie delta");
    assert.equal(plain.at(-1).choices[0].finish_reason, "length");
    assert.ok(plain.every((k) => k.object === "chat.completion.chunk" && !k.usage), JSON.stringify(plain.at(-1)));
    const withUsage = await streamed(c.client, { model: alias, messages: PROMPT, max_tokens: 4, stream_options: { include_usage: true } });
    const last = withUsage.at(-1);
    assert.deepEqual(last.choices, []);
    assert.deepEqual([last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens], [4, 4, 8]);
    assert.equal(withUsage.slice(0, -1).map((k) => k.choices[0]?.delta?.content ?? "").join(""), "alpha bravo charlie delta");
    assert.equal(s.double.requests.at(-1).api, provider);
  });
}

test("the client's Authorization never reaches a provider, the provider key does, and the client never sees a provider key", async () => {
  const c = await consumer();
  const mark = s.double.requests.length;
  const answers = [];
  for (const model of ["fast", "claude"]) {
    const { data, response } = await c.client.chat.completions.create({ model, messages: PROMPT, max_tokens: 2 }).withResponse();
    answers.push(JSON.stringify(data), JSON.stringify([...response.headers]));
  }
  answers.push(JSON.stringify(await streamed(c.client, { model: "claude", messages: PROMPT, max_tokens: 2 })));
  const sent = since(mark);
  assert.equal(sent.length, 3);
  for (const r of sent) {
    assert.ok(!JSON.stringify(r.headers).includes(c.key), `the client's key reached ${r.path}`);
    if (r.api === "openai") assert.equal(r.headers.authorization, `Bearer ${s.double.openaiKey}`);
    else assert.ok(r.headers["x-api-key"] === s.double.anthropicKey || r.headers.authorization === `Bearer ${s.double.anthropicKey}`, JSON.stringify(r.headers));
  }
  for (const a of answers) {
    assert.ok(!a.includes(s.double.openaiKey) && !a.includes(s.double.anthropicKey), "a provider key in an answer");
  }
});

// ------------------------------------------------------------------------------ streaming

test("streaming without buffering: each chunk reaches the client before the provider writes the next", async () => {
  const c = await consumer();
  const gate = s.double.gate();
  const pending = c.client.chat.completions.create({ model: "fast", messages: PROMPT, max_tokens: 5, stream: true });
  // Event 0 (the role chunk) lets the headers and first bytes through, whatever the gateway waits for.
  await within(5_000, gate.blocked(), "the double's first event");
  gate.release();
  const chunks = (await pending)[Symbol.asyncIterator]();
  assert.equal((await within(5_000, chunks.next(), "chunk 0")).value.choices[0].delta.role, "assistant");
  assert.equal(gate.written, 1);
  for (const [k, word] of replyWords(5).entries()) {
    await within(5_000, gate.blocked(), `the double waiting before event ${k + 1}`);
    gate.release();
    const { value } = await within(5_000, chunks.next(), `chunk ${k + 1}`);
    assert.equal(value.choices[0].delta.content.trim(), word);
    assert.equal(gate.written, k + 2, `chunk ${k + 1} reached the client while event ${k + 2} was not yet written`);
  }
  gate.open();
  for (let r = await chunks.next(); !r.done; r = await chunks.next());
});

// ------------------------------------------------------------------------------ fallbacks

test("fallback: flaky's OpenAI 503 falls to Anthropic, which answers; the log says 2 attempts", async () => {
  const c = await consumer();
  const mark = s.double.requests.length;
  const { data, headers, log } = await chat(c.client, { model: "flaky", messages: PROMPT, max_tokens: 2 });
  assert.equal(data.choices[0].message.content, "alpha bravo");
  assert.deepEqual(since(mark).map((r) => [r.model, r.status]), [["gpt-double-503", 503], ["claude-double-ok", 200]]);
  assert.equal(headers.get("x-gatehouse-provider"), PROVIDER.anthropic);
  assert.equal(log.attempts, 2);
  assert.equal(log.provider, PROVIDER.anthropic);
});

test("fallback: busy's OpenAI 429 with Retry-After 7 is skipped without a call by the next request within those 7 s", async () => {
  const c = await consumer();
  const before = s.double.callsTo("gpt-double-429").length;
  const first = await chat(c.client, { model: "busy", messages: PROMPT, max_tokens: 2 });
  assert.equal(first.headers.get("x-gatehouse-provider"), PROVIDER.anthropic);
  assert.equal(s.double.callsTo("gpt-double-429").length, before + 1);
  const second = await chat(c.client, { model: "busy", messages: PROMPT, max_tokens: 2 });
  assert.equal(second.data.choices[0].message.content, "alpha bravo");
  assert.equal(s.double.callsTo("gpt-double-429").length, before + 1, "the provider in its Retry-After was not called");
  assert.equal(second.log.attempts, 1);
});

// ---------------------------------------------------------------------------- token limits

const admin = (path) => request(s.gw, "GET", `/__gatehouse/${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

test("token limits: 50 concurrent clients of a free consumer spend exactly what the limiter holds, never past 2000, then 429 with RateLimit headers", async () => {
  const c = await consumer("free");
  const marker = `m${crypto.randomBytes(4).toString("hex")}`;
  // 10 words in, 40 out (the double's cap, under the plan's 64): 50 tokens a call, 2500 for 50.
  const ask = () => c.client.chat.completions.create({ model: "fast", messages: [{ role: "user", content: `${marker} two three four five six seven eight nine ten` }], max_tokens: 64 })
    .then((data) => ({ ok: true, tokens: data.usage.total_tokens }), (err) => ({ ok: false, err }));
  const burst = await Promise.all(Array.from({ length: 50 }, ask));
  const later = [];
  for (let i = 0; i < 50 && later.every((r) => r.ok); i++) later.push(await ask());
  const all = [...burst, ...later];
  const spent = all.filter((r) => r.ok).reduce((sum, r) => sum + r.tokens, 0);
  assert.ok(all.some((r) => !r.ok), "the quota ran out");
  assert.ok(spent <= 2000, `${spent} tokens admitted`);
  const held = (await admin(`limits/ai-tokens?key=${encodeURIComponent(c.id)}`)).json();
  assert.equal(held.state.limits.tokens.count, spent, JSON.stringify(held));
  const provider = s.double.requests.filter((r) => JSON.stringify(r.body).includes(marker) && r.status === 200);
  assert.equal(provider.reduce((sum, r) => sum + r.usage.input + r.usage.output, 0), spent, "the provider's usage is what was counted");
  const refused = later.at(-1).err ?? burst.find((r) => !r.ok).err;
  assert.ok(refused instanceof OpenAI.RateLimitError, String(refused));
  assert.match(refused.headers.get("ratelimit-policy") ?? "", /"tokens";q=2000;w=86400/);
  assert.ok(refused.headers.get("ratelimit"), "RateLimit header");
  assert.ok(Number(refused.headers.get("retry-after")) > 0);
});

test("token limits: a stream the client abandons is charged its whole reservation, not the nothing it saw", async () => {
  const c = await consumer("free");
  const messages = [{ role: "user", content: "x".repeat(300) }];
  // The double waits before each event: the stream is still going when the client leaves.
  const gate = s.double.gate();
  const pending = fetch(new URL("/v1/chat/completions", s.gw.url), {
    method: "POST",
    headers: { authorization: `Bearer ${c.key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "fast", stream: true, max_tokens: 64, messages }),
  });
  await within(5_000, gate.blocked(), "the double's first event");
  gate.release();
  const res = await pending;
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  await reader.read(); // the first event, then the client goes away mid-stream
  await within(5_000, gate.blocked(), "the double waiting before its second event");
  await reader.cancel();
  // The gateway learns the client left when it next writes: let the double send one event at
  // a time until the stream's log line says how it ended.
  const found = () => logLines(s.gw).find((l) => l.llm && l.consumer === c.id);
  let log;
  for (let i = 0; i < 40 && !log; i++) {
    gate.release();
    log = await until(found, "the abandoned stream's log line", 500).catch(() => undefined);
  }
  gate.open();
  assert.ok(log, "the stream ended and was logged");
  assert.equal(log.llm.cut, "client");
  assert.ok(gate.written < 40, `the client left before the end (${gate.written} events written)`);
  // ceil(300 / 3) prompt characters + 4 for the message + 3 for the request, and 64 to write.
  const reserved = 100 + 4 + 3 + 64;
  const held = await until(async () => {
    const h = (await admin(`limits/ai-tokens?key=${encodeURIComponent(c.id)}`)).json();
    return h.state?.limits?.tokens?.count > 0 && h;
  }, "the reservation settled");
  assert.equal(held.state.limits.tokens.count, reserved, JSON.stringify(held));
});

// ----------------------------------------------------------------------------------- guards

const post = (key, body, headers = {}) => request(s.gw, "POST", "/v1/chat/completions", {
  headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

test("guards: a model outside the consumer's plan is a 403 problem and reaches no provider", async () => {
  const c = await consumer("free");
  const mark = s.double.requests.length;
  const res = await post(c.key, { model: "embed", messages: PROMPT });
  expectProblem(assert, res, 403, "model-not-allowed");
  const edge = await post(c.key, { model: "edge", messages: PROMPT });
  const body = expectProblem(assert, edge, 403, "model-not-allowed");
  assert.equal(body.error.code, "model-not-allowed", "OpenAI's clients read the error member");
  assert.equal(since(mark).length, 0);
});

test("guards: a prompt over the free plan's 4KB is a 413 problem and reaches no provider", async () => {
  const c = await consumer("free");
  const mark = s.double.requests.length;
  const res = await post(c.key, { model: "fast", messages: [{ role: "user", content: "word ".repeat(1000) }] });
  expectProblem(assert, res, 413, "payload-too-large");
  assert.equal(since(mark).length, 0);
});

test("guards: max_tokens over the free plan's 64 is capped, and the provider is asked for 64", async () => {
  const c = await consumer("free");
  const mark = s.double.requests.length;
  const res = await post(c.key, { model: "claude", messages: PROMPT, max_tokens: 500 });
  assert.equal(res.status, 200, res.text);
  const [sent] = since(mark);
  assert.equal(sent.body.max_tokens, 64);
  const noLimit = await post(c.key, { model: "fast", messages: PROMPT });
  assert.equal(noLimit.status, 200, noLimit.text);
  const asked = s.double.requests.at(-1).body;
  assert.equal(asked.max_completion_tokens ?? asked.max_tokens, 64, "no max_tokens means the plan's");
});

test("guards: an alias that is not configured is a 4xx problem, not a provider call", async () => {
  const c = await consumer();
  const mark = s.double.requests.length;
  const res = await post(c.key, { model: "gpt-double-ok", messages: PROMPT });
  assert.ok(res.status === 400 || res.status === 404, res.text);
  assert.equal(res.headers["content-type"], "application/problem+json");
  assert.notEqual(res.json().type, "urn:gatehouse:problem:route-not-found", "the LLM route itself refused it");
  assert.equal(since(mark).length, 0, "a provider's own model name is not an alias");
});

// ------------------------------------------------------------------------------ answer cache

test("answer cache: the same temperature-0 request twice is served from cache the second time, per consumer", async () => {
  const a = await consumer();
  const b = await consumer();
  const body = { model: "fast", temperature: 0, messages: [{ role: "user", content: `cache ${crypto.randomUUID()}` }], max_tokens: 3 };
  const before = s.double.callsTo("gpt-double-ok").length;
  const first = await post(a.key, body);
  assert.equal(first.status, 200, first.text);
  assert.doesNotMatch(first.headers["cache-status"] ?? "", /hit/);
  const second = await post(a.key, body, { "x-request-id": requestId("cache") });
  assert.match(second.headers["cache-status"], /hit/);
  assert.equal(second.json().choices[0].message.content, first.json().choices[0].message.content);
  assert.equal(s.double.callsTo("gpt-double-ok").length, before + 1, "one provider call for two answers");
  assert.equal((await logOf(s.gw, second.headers["x-request-id"])).llm.cached, true);
  const other = await post(b.key, body);
  assert.doesNotMatch(other.headers["cache-status"] ?? "", /hit/, "another consumer does not get a's answer");
  assert.equal(s.double.callsTo("gpt-double-ok").length, before + 2);
  const warm = await post(a.key, { ...body, temperature: 0.7 });
  assert.doesNotMatch(warm.headers["cache-status"] ?? "", /hit/, "temperature above 0 is never cached");
});

// ------------------------------------------------------------------------- Workers AI, embeddings

const bindingCalls = () => logLines(s.gw).filter((l) => l.workers_ai_double).map((l) => l.workers_ai_double);

test("Workers AI: alias edge answers through the AI binding as a chat.completion, JSON and streamed", async () => {
  const c = await consumer();
  const calls = bindingCalls().length;
  const { data, headers, log } = await chat(c.client, { model: "edge", messages: PROMPT, max_tokens: 3 });
  assert.equal(data.choices[0].message.content, "alpha bravo charlie");
  assert.deepEqual([data.usage.prompt_tokens, data.usage.completion_tokens], [4, 3]);
  assert.equal(headers.get("x-gatehouse-provider"), PROVIDER.edge);
  assert.equal(log.model, "@cf/meta/llama-3.1-8b-instruct");
  const chunks = await streamed(c.client, { model: "edge", messages: PROMPT, max_tokens: 3, stream_options: { include_usage: true } });
  assert.equal(chunks.map((k) => k.choices[0]?.delta?.content ?? "").join(""), "alpha bravo charlie");
  assert.deepEqual([chunks.at(-1).usage.prompt_tokens, chunks.at(-1).usage.completion_tokens], [4, 3]);
  const seen = bindingCalls().slice(calls);
  assert.deepEqual(seen.map((x) => [x.model, x.inputs.stream === true]), [["@cf/meta/llama-3.1-8b-instruct", false], ["@cf/meta/llama-3.1-8b-instruct", true]]);
});

test("embeddings: alias embed answers the openai client's embeddings call from the OpenAI double", async () => {
  const c = await consumer();
  const mark = s.double.requests.length;
  const out = await c.client.embeddings.create({ model: "embed", input: ["one two", "three"] });
  assert.equal(out.data.length, 2);
  assert.equal(out.data[0].embedding.length, 8);
  assert.equal(out.usage.prompt_tokens, 3);
  const [sent] = since(mark);
  assert.equal(sent.path, "/v1/embeddings");
  assert.equal(sent.model, "text-embedding-double-ok");
});

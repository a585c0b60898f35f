// The LLM provider double (llm-double.mjs) checked against the official SDKs called directly,
// not through the gateway: if `openai` and `@anthropic-ai/sdk` read its answers as they read the
// real APIs', the gateway's LLM tests run against the real wire formats.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { startLlmDouble } from "./llm-double.mjs";
import { replyWords } from "./llm-wire.mjs";

const s = {};
before(async () => {
  s.double = await startLlmDouble();
  s.openai = new OpenAI({ apiKey: s.double.openaiKey, baseURL: `${s.double.url}/v1`, maxRetries: 0 });
  s.anthropic = new Anthropic({ apiKey: s.double.anthropicKey, baseURL: s.double.url, maxRetries: 0 });
});
after(() => s.double?.close());

const PROMPT = [{ role: "system", content: "You are terse." }, { role: "user", content: "Say five words please" }];
const lastRequest = () => s.double.requests.at(-1);
const WEATHER_OPENAI = [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } }, required: ["city", "days"] } } }];
const WEATHER_ANTHROPIC = [{ name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } }, required: ["city", "days"] } }];

test("openai client: a JSON chat completion has the first max_tokens words, finish_reason length, usage in words", async () => {
  const r = await s.openai.chat.completions.create({ model: "gpt-double-ok", messages: PROMPT, max_tokens: 5 });
  assert.equal(r.object, "chat.completion");
  assert.equal(r.model, "gpt-double-ok");
  assert.equal(r.choices[0].message.content, "alpha bravo charlie delta echo");
  assert.equal(r.choices[0].finish_reason, "length");
  assert.deepEqual([r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens], [7, 5, 12]);
  assert.deepEqual(lastRequest().usage, { input: 7, output: 5 });
  assert.equal(lastRequest().headers.authorization, `Bearer ${s.double.openaiKey}`);
});

test("openai client: without max_tokens the reply is the double's cap and finishes with stop", async () => {
  const r = await s.openai.chat.completions.create({ model: "gpt-double-ok", messages: PROMPT });
  assert.equal(r.choices[0].message.content, replyWords(40).join(" "));
  assert.equal(r.choices[0].finish_reason, "stop");
});

test("openai client: a stream without include_usage is one word per chunk and has no usage chunk", async () => {
  const stream = await s.openai.chat.completions.create({ model: "gpt-double-ok", messages: PROMPT, max_tokens: 4, stream: true });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.ok(chunks.every((c) => c.object === "chat.completion.chunk" && !("usage" in c)), JSON.stringify(chunks));
  assert.equal(chunks[0].choices[0].delta.role, "assistant");
  assert.deepEqual(chunks.slice(1, 5).map((c) => c.choices[0].delta.content), ["alpha", " bravo", " charlie", " delta"]);
  assert.equal(chunks.at(-1).choices[0].finish_reason, "length");
  assert.equal(chunks.length, 6);
  assert.deepEqual(lastRequest().usage, { input: 7, output: 4 });
});

test("openai client: a stream with include_usage ends with a usage-only chunk (choices []), usage null before", async () => {
  const stream = await s.openai.chat.completions.create({
    model: "gpt-double-ok", messages: PROMPT, max_tokens: 3, stream: true, stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.deepEqual([last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens], [7, 3, 10]);
  assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
  assert.equal(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join(""), "alpha bravo charlie");
});

test("openai client: the stream helper accumulates a tool call when the user says use the tool", async () => {
  const runner = s.openai.chat.completions.stream({ model: "gpt-double-ok", messages: [{ role: "user", content: "Please use the tool" }], tools: WEATHER_OPENAI });
  const done = await runner.finalChatCompletion();
  const call = done.choices[0].message.tool_calls[0];
  assert.equal(done.choices[0].finish_reason, "tool_calls");
  assert.equal(call.function.name, "get_weather");
  assert.deepEqual(JSON.parse(call.function.arguments), { city: "double", days: 7 });
  const json = await s.openai.chat.completions.create({ model: "gpt-double-ok", messages: [{ role: "user", content: "use the tool" }], tools: WEATHER_OPENAI });
  assert.deepEqual(JSON.parse(json.choices[0].message.tool_calls[0].function.arguments), { city: "double", days: 7 });
});

test("openai client: embeddings decode the same from base64 (the client's default) and from float", async () => {
  const viaBase64 = await s.openai.embeddings.create({ model: "text-embedding-double-ok", input: ["one two three", "four"] });
  assert.equal(lastRequest().body.encoding_format, "base64", "the client asks for base64 and decodes it");
  const viaFloat = await s.openai.embeddings.create({ model: "text-embedding-double-ok", input: ["one two three", "four"], encoding_format: "float" });
  assert.equal(viaBase64.data.length, 2);
  assert.equal(viaBase64.data[0].embedding.length, 8);
  assert.deepEqual(viaBase64.data.map((d) => d.embedding), viaFloat.data.map((d) => d.embedding));
  assert.notDeepEqual(viaFloat.data[0].embedding, viaFloat.data[1].embedding);
  assert.deepEqual(viaFloat.usage, { prompt_tokens: 4, total_tokens: 4 });
});

test("openai client: a *-429 model is a RateLimitError carrying Retry-After 7 and x-ratelimit headers", async () => {
  const err = await s.openai.chat.completions.create({ model: "gpt-double-429", messages: PROMPT }).catch((e) => e);
  assert.ok(err instanceof OpenAI.RateLimitError, String(err));
  assert.equal(err.status, 429);
  assert.equal(err.code, "rate_limit_exceeded");
  assert.equal(err.headers.get("retry-after"), "7");
  assert.equal(err.headers.get("x-ratelimit-remaining-requests"), "0");
});

test("openai client: a *-503 model is an InternalServerError; a wrong key is an AuthenticationError", async () => {
  const down = await s.openai.chat.completions.create({ model: "gpt-double-503", messages: PROMPT }).catch((e) => e);
  assert.ok(down instanceof OpenAI.InternalServerError, String(down));
  assert.equal(down.status, 503);
  const wrong = new OpenAI({ apiKey: "sk-not-the-key-0000", baseURL: `${s.double.url}/v1`, maxRetries: 0 });
  const denied = await wrong.chat.completions.create({ model: "gpt-double-ok", messages: PROMPT }).catch((e) => e);
  assert.ok(denied instanceof OpenAI.AuthenticationError, String(denied));
  assert.equal(denied.code, "invalid_api_key");
  assert.ok(!denied.message.includes("sk-not-the-key-0000"), "the key is masked in the message");
});

test("openai client: a *-cut stream fails after some chunks instead of ending cleanly", async () => {
  const stream = await s.openai.chat.completions.create({ model: "gpt-double-cut", messages: PROMPT, max_tokens: 10, stream: true });
  const got = [];
  await assert.rejects(async () => { for await (const c of stream) got.push(c); });
  assert.ok(got.length >= 1 && got.length < 12, `${got.length} chunks before the cut`);
});

test("openai client: a *-miderror stream throws the error object the stream carries", async () => {
  const stream = await s.openai.chat.completions.create({ model: "gpt-double-miderror", messages: PROMPT, max_tokens: 10, stream: true });
  const got = [];
  const err = await (async () => { for await (const c of stream) got.push(c); })().catch((e) => e);
  assert.ok(err instanceof OpenAI.APIError, String(err));
  assert.match(err.message, /server had an error/);
  assert.equal(got.map((c) => c.choices[0].delta.content).join(""), "alpha bravo charlie delta echo");
});

test("anthropic client: a JSON message has text content, stop_reason and usage in words", async () => {
  const m = await s.anthropic.messages.create({ model: "claude-double-ok", max_tokens: 6, system: "Be brief.", messages: [{ role: "user", content: "Hello there" }] });
  assert.equal(m.type, "message");
  assert.equal(m.role, "assistant");
  assert.deepEqual(m.content, [{ type: "text", text: "alpha bravo charlie delta echo foxtrot" }]);
  assert.equal(m.stop_reason, "max_tokens");
  assert.equal(m.stop_sequence, null);
  assert.equal(m.usage.input_tokens, 4);
  assert.equal(m.usage.output_tokens, 6);
  const sent = lastRequest();
  assert.equal(sent.headers.authorization, `Bearer ${s.double.anthropicKey}`, "@anthropic-ai/sdk 1.x sends the key as a bearer token");
  assert.ok(sent.headers["anthropic-version"]);
});

test("anthropic client: a stream's finalMessage has the text and the usage of message_start and message_delta", async () => {
  const stream = s.anthropic.messages.stream({ model: "claude-double-ok", max_tokens: 100, messages: [{ role: "user", content: "one two three" }] });
  const types = [];
  stream.on("streamEvent", (e) => types.push(e.type));
  const m = await stream.finalMessage();
  assert.equal(m.content.length, 1);
  assert.equal(m.content[0].type, "text");
  assert.equal(m.content[0].text, replyWords(40).join(" "));
  assert.equal(m.stop_reason, "end_turn");
  assert.equal(m.usage.input_tokens, 3);
  assert.equal(m.usage.output_tokens, 40);
  assert.deepEqual([types[0], types[1], types.at(-3), types.at(-2), types.at(-1)], ["message_start", "content_block_start", "content_block_stop", "message_delta", "message_stop"]);
  assert.equal(types.filter((t) => t === "content_block_delta").length, 40);
});

test("anthropic client: tools and 'use the tool' give a tool_use block, JSON and streamed (input_json_delta)", async () => {
  const ask = { model: "claude-double-ok", max_tokens: 50, tools: WEATHER_ANTHROPIC, messages: [{ role: "user", content: "Please use the tool" }] };
  const m = await s.anthropic.messages.create(ask);
  assert.equal(m.stop_reason, "tool_use");
  assert.equal(m.content[1].type, "tool_use");
  assert.equal(m.content[1].name, "get_weather");
  assert.deepEqual(m.content[1].input, { city: "double", days: 7 });
  const streamed = await s.anthropic.messages.stream(ask).finalMessage();
  assert.equal(streamed.stop_reason, "tool_use");
  assert.deepEqual(streamed.content[1].input, { city: "double", days: 7 });
  assert.equal(streamed.usage.output_tokens, m.usage.output_tokens);
});

test("anthropic client: 429 is a RateLimitError with retry-after 7; 529 is an overloaded_error", async () => {
  const busy = await s.anthropic.messages.create({ model: "claude-double-429", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
  assert.ok(busy instanceof Anthropic.RateLimitError, String(busy));
  assert.equal(busy.headers.get("retry-after"), "7");
  assert.equal(busy.error.error.type, "rate_limit_error");
  const over = await s.anthropic.messages.create({ model: "claude-double-503", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
  assert.equal(over.status, 529);
  assert.equal(over.error.error.type, "overloaded_error");
});

test("anthropic client: an event: error mid-stream is thrown by the stream", async () => {
  const stream = s.anthropic.messages.stream({ model: "claude-double-miderror", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
  const err = await stream.finalMessage().catch((e) => e);
  assert.ok(err instanceof Anthropic.APIError, String(err));
  assert.match(String(err.message), /Overloaded/);
});

test("anthropic wire: no x-api-key is a 401 authentication_error, no anthropic-version a 400", async () => {
  const post = (headers) => fetch(`${s.double.url}/v1/messages`, {
    method: "POST", headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "claude-double-ok", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }),
  });
  const noKey = await post({ "anthropic-version": "2023-06-01" });
  assert.equal(noKey.status, 401);
  assert.deepEqual((await noKey.json()).error, { type: "authentication_error", message: "x-api-key header is required" });
  const noVersion = await post({ "x-api-key": s.double.anthropicKey });
  assert.equal(noVersion.status, 400);
  assert.equal((await noVersion.json()).error.type, "invalid_request_error");
});

test("anthropic wire: a stream is the event sequence message_start, content_block_start, ping, deltas, stop, message_delta, message_stop", async () => {
  const res = await fetch(`${s.double.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": s.double.anthropicKey, "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "claude-double-ok", max_tokens: 2, stream: true, messages: [{ role: "user", content: "hi" }] }),
  });
  assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const events = (await res.text()).split("\n\n").filter(Boolean).map((e) => {
    const [event, data] = e.split("\n");
    const parsed = JSON.parse(data.slice("data: ".length));
    assert.equal(event, `event: ${parsed.type}`, "the event name is the data's type");
    return parsed;
  });
  assert.deepEqual(events.map((e) => e.type), [
    "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
  ]);
  assert.deepEqual(events[6].delta, { stop_reason: "max_tokens", stop_sequence: null });
  assert.deepEqual(events[6].usage, { output_tokens: 2 });
});

test("gate: a stream's event k is readable by the client before event k+1 is written", async () => {
  const gate = s.double.gate();
  const res = await fetch(`${s.double.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${s.double.openaiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-double-ok", messages: PROMPT, max_tokens: 3, stream: true }),
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (let k = 0; k < 6; k++) {
    assert.equal(await gate.blocked(), k, "the double waits before event k");
    gate.release();
    while (text.split("\n\n").length - 1 <= k) text += decoder.decode((await reader.read()).value, { stream: true });
    assert.equal(gate.written, k + 1, `event ${k} arrived and event ${k + 1} was not written`);
  }
  assert.ok(text.endsWith("data: [DONE]\n\n"));
  assert.equal((await gate.blocked()), 6);
});

test("slow: a *-slow request is held until released, and a held request whose client leaves is dropped", async () => {
  const before = s.double.requests.length;
  const pending = s.openai.chat.completions.create({ model: "gpt-double-slow", messages: PROMPT, max_tokens: 2 });
  await s.double.whenHeld(1);
  assert.equal(s.double.requests[before].status, null, "no answer while held");
  s.double.releaseHeld();
  assert.equal((await pending).choices[0].message.content, "alpha bravo");

  const controller = new AbortController();
  const gone = s.openai.chat.completions.create({ model: "gpt-double-slow", messages: PROMPT }, { signal: controller.signal }).catch((e) => e);
  await s.double.whenHeld(1);
  controller.abort();
  assert.ok((await gone) instanceof OpenAI.APIUserAbortError);
  await new Promise((resolve) => { const tick = () => (s.double.held.length === 0 ? resolve() : setImmediate(tick)); tick(); });
  assert.equal(s.double.requests.at(-1).status, null, "never answered");
});

test("port: a double started on a given port answers there, and a second double on the same port fails to start", async () => {
  const probe = await startLlmDouble();
  const port = probe.port;
  await probe.close();
  const double = await startLlmDouble({ port, words: 3 });
  try {
    assert.equal(double.url, `http://127.0.0.1:${port}`);
    const client = new OpenAI({ apiKey: double.openaiKey, baseURL: `${double.url}/v1`, maxRetries: 0 });
    const r = await client.chat.completions.create({ model: "gpt-double-ok", messages: PROMPT });
    assert.equal(r.choices[0].message.content, "alpha bravo charlie");
    await assert.rejects(startLlmDouble({ port }), { code: "EADDRINUSE" });
  } finally {
    await double.close();
  }
});

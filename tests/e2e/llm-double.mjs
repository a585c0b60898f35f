// A local LLM provider double on 127.0.0.1: OpenAI's `POST /v1/chat/completions` and
// `POST /v1/embeddings`, and Anthropic's `POST /v1/messages`, JSON and streamed, in the real
// APIs' wire formats (tests/e2e/llm-wire.mjs), for the gateway's LLM end-to-end tests.
//
//   const double = await startLlmDouble();        // random provider keys, replies of up to 40 words
//   new OpenAI({ apiKey: double.openaiKey, baseURL: `${double.url}/v1` })
//   new Anthropic({ apiKey: double.anthropicKey, baseURL: double.url })
//
// Behaviour is picked by the model name the caller sends, by its last `-` part:
//   *-ok (and any other name)  answers
//   *-429       429 with Retry-After: 7 (OpenAI also x-ratelimit-*, Anthropic anthropic-ratelimit-*)
//   *-503       503 server_error (OpenAI) / 529 overloaded_error (Anthropic)
//   *-slow      holds the response headers until double.releaseHeld() or the socket closes
//   *-cut       destroys the socket halfway through the answer (a stream after half its events)
//   *-miderror  a stream that sends half its text, then an error event (OpenAI `data: {"error"}`,
//               Anthropic `event: error` overloaded_error), and ends
// Content and usage are deterministic: the reply is the first N words of WORDS, N = the request's
// max_tokens (max_completion_tokens) capped at `double.words` (40 unless given), one word per
// stream chunk; input tokens = whitespace-separated words in all messages' text (and system),
// output tokens = words (or tool-argument pieces) sent. When a request has tools and its last
// user message says "use the tool", the answer calls the first tool.
//
// double.requests records every request: { api, method, path, headers, body, model, stream,
// behaviour, status, usage: { input, output } | null, events } (usage and events grow as a
// stream is written). double.gate() holds the next stream before each event until the test
// releases it (the no-buffering proof without sleeps).
import http from "node:http";
import crypto from "node:crypto";
import {
  anthropic, openai, sse, sseEvent, replyWords, countWords, promptWords, lastUserText, toolArguments, jsonPieces,
} from "./llm-wire.mjs";

const BEHAVIOURS = new Set(["ok", "429", "503", "slow", "cut", "miderror"]);
const RETRY_AFTER_S = 7;

/** What a model name asks the double to do ("ok" for names without a known suffix). */
export function behaviourOf(model) {
  const last = String(model ?? "").split("-").pop();
  return BEHAVIOURS.has(last) ? last : "ok";
}

/**
 * Holds a stream before each of its events until the test lets one through. `written` counts
 * the events written so far; `blocked()` resolves once the stream waits for the next release
 * (or has ended), so `written` is then exact.
 */
export class Gate {
  constructor() {
    this.written = 0;
    this.ended = false;
    this.permits = 0;
    this.wake = null;
    this.waiters = [];
  }

  /** Lets `n` more events be written. */
  release(n = 1) {
    this.permits += n;
    this.#serve();
  }

  /** Lets the rest of the stream through. */
  open() {
    this.release(Infinity);
  }

  /** Resolves when the stream is waiting for a release or has ended. */
  blocked() {
    if (this.wake || this.ended) return Promise.resolve(this.written);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Called by the stream before an event. */
  pass() {
    if (this.permits > 0) {
      this.permits -= 1;
      return Promise.resolve();
    }
    const wait = new Promise((resolve) => { this.wake = resolve; });
    this.#notify();
    return wait;
  }

  /** Called by the stream after an event, or with `end` when it is over. */
  wrote(end = false) {
    if (end) {
      this.ended = true;
      this.#notify();
    } else this.written += 1;
  }

  #serve() {
    if (this.wake && this.permits > 0) {
      this.permits -= 1;
      const wake = this.wake;
      this.wake = null;
      wake();
    }
  }

  #notify() {
    for (const w of this.waiters.splice(0)) w(this.written);
  }
}

/**
 * Starts the double on 127.0.0.1:`port` (0: any free port). `openaiKey` / `anthropicKey` are
 * the provider keys it accepts (random unless given); `words` caps every reply; `record: false`
 * keeps `requests` empty (a long-running double must not grow). Streams write each event as
 * soon as the one before is flushed, with no delay between them. Resolves the double (see the
 * file comment). `make dev` runs it through scripts/llm-double.mjs.
 */
export async function startLlmDouble({ openaiKey, anthropicKey, words = 40, port = 0, record = true } = {}) {
  const double = {
    openaiKey: openaiKey ?? `sk-double-${crypto.randomBytes(16).toString("hex")}`,
    anthropicKey: anthropicKey ?? `sk-ant-double-${crypto.randomBytes(16).toString("hex")}`,
    words,
    record,
    requests: [],
    held: [],
    heldWaiters: [],
    nextGate: null,
    /** Makes the next streamed answer wait before each event: returns its Gate. */
    gate() {
      double.nextGate = new Gate();
      return double.nextGate;
    },
    /** Resolves once `n` requests are being held by *-slow models. */
    whenHeld(n = 1) {
      if (double.held.length >= n) return Promise.resolve();
      return new Promise((resolve) => double.heldWaiters.push({ n, resolve }));
    },
    /** Lets every held *-slow request answer. */
    releaseHeld() {
      for (const release of double.held.splice(0)) release();
    },
    /** The recorded requests for `model`. */
    callsTo(model) {
      return double.requests.filter((r) => r.model === model);
    },
  };

  const server = http.createServer((req, res) => {
    handle(double, req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`llm double failed: ${err.stack}`);
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  double.port = server.address().port;
  double.url = `http://127.0.0.1:${double.port}`;
  double.close = () => new Promise((resolve) => {
    double.releaseHeld();
    server.closeAllConnections();
    server.close(resolve);
  });
  return double;
}

async function handle(double, req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const raw = Buffer.concat(chunks).toString();
  let body;
  let parsed = true;
  try {
    body = JSON.parse(raw);
  } catch {
    body = raw;
    parsed = false;
  }
  const path = new URL(req.url, "http://double").pathname;
  const api = path === "/v1/messages" || req.headers["anthropic-version"] !== undefined ? "anthropic" : "openai";
  const model = parsed && typeof body?.model === "string" ? body.model : null;
  const rec = {
    api, method: req.method, path, headers: req.headers, body, model, stream: parsed && body?.stream === true,
    behaviour: behaviourOf(model), status: null, usage: null, events: 0,
  };
  if (double.record) double.requests.push(rec);
  const reply = api === "anthropic" ? anthropicReply : openaiReply;
  const route = `${req.method} ${path}`;
  if (route === "POST /v1/chat/completions") return openaiChat(double, rec, req, res, parsed);
  if (route === "POST /v1/embeddings") return openaiEmbeddings(double, rec, req, res, parsed);
  if (route === "POST /v1/messages") return anthropicMessages(double, rec, req, res, parsed);
  return api === "anthropic"
    ? reply(rec, res, 404, anthropic.error("not_found_error", "Not Found"))
    : reply(rec, res, 404, openai.error(`Invalid URL (${req.method} ${path})`, "invalid_request_error"));
}

// ---------------------------------------------------------------------------- plumbing

function openaiHeaders(extra = {}) {
  return {
    "openai-version": "2020-10-01",
    "openai-organization": "org-double",
    "openai-processing-ms": "1",
    "x-request-id": `req_${crypto.randomBytes(12).toString("hex")}`,
    "x-ratelimit-limit-requests": "500",
    "x-ratelimit-limit-tokens": "200000",
    "x-ratelimit-remaining-requests": "499",
    "x-ratelimit-remaining-tokens": "199000",
    "x-ratelimit-reset-requests": "120ms",
    "x-ratelimit-reset-tokens": "300ms",
    ...extra,
  };
}

function anthropicHeaders(extra = {}) {
  return { "request-id": anthropic.requestId(), "anthropic-organization-id": "00000000-0000-4000-8000-00000000d0b1", ...extra };
}

function json(rec, res, status, body, headers) {
  rec.status = status;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

const openaiReply = (rec, res, status, body, extra) => json(rec, res, status, body, openaiHeaders(extra));
const anthropicReply = (rec, res, status, body, extra) => json(rec, res, status, body, anthropicHeaders(extra));

/** Holds a *-slow request until releaseHeld() (true) or its socket closes (false). */
function hold(double, res) {
  return new Promise((resolve) => {
    let done = false;
    const release = () => {
      if (!done) (done = true), resolve(true);
    };
    res.on("close", () => {
      if (!done) (done = true), resolve(false);
      const i = double.held.indexOf(release);
      if (i >= 0) double.held.splice(i, 1);
    });
    double.held.push(release);
    const ready = double.heldWaiters.filter((w) => double.held.length >= w.n);
    double.heldWaiters = double.heldWaiters.filter((w) => double.held.length < w.n);
    for (const w of ready) w.resolve();
  });
}

/** Writes a JSON answer, or half of it and destroys the socket for *-cut. */
function answer(rec, res, body, headers) {
  if (rec.behaviour !== "cut") return json(rec, res, 200, body, headers);
  rec.status = 200;
  const text = JSON.stringify(body);
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.write(text.slice(0, Math.floor(text.length / 2)), () => res.socket?.destroy());
}

/**
 * Streams `events` (SSE strings), through the double's next gate if one is set. For *-cut the
 * socket is destroyed after half of them; `onEvent(i)` runs after event i is written (usage
 * bookkeeping). Stops when the client goes away.
 */
async function stream(double, rec, res, headers, events, onEvent = () => {}) {
  const gate = double.nextGate;
  double.nextGate = null;
  rec.status = 200;
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", ...headers });
  res.flushHeaders();
  const stopAt = rec.behaviour === "cut" ? Math.floor(events.length / 2) : events.length;
  let gone = false;
  res.on("close", () => { gone = true; });
  for (let i = 0; i < stopAt; i++) {
    if (gate) await gate.pass();
    if (gone) break;
    await new Promise((resolve) => res.write(events[i], resolve));
    rec.events += 1;
    onEvent(i);
    gate?.wrote();
  }
  gate?.wrote(true);
  if (rec.behaviour === "cut") res.socket?.destroy();
  else res.end();
}

/** The reply length for a request's token limit: capped by the double, and whether the limit cut it. */
function replyLength(double, limit) {
  const n = limit === undefined ? double.words : Math.min(limit, double.words);
  return { n, truncated: limit !== undefined && n >= limit };
}

const isPositiveInt = (v) => Number.isInteger(v) && v > 0;

// ------------------------------------------------------------------------------ OpenAI

function openaiAuthorised(double, rec, req, res) {
  const auth = req.headers.authorization;
  if (auth === `Bearer ${double.openaiKey}`) return true;
  if (!auth) {
    openaiReply(rec, res, 401, openai.error("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", "invalid_request_error"));
  } else {
    const key = auth.replace(/^Bearer\s+/i, "");
    const masked = key.length > 8 ? `${key.slice(0, 3)}${"*".repeat(8)}${key.slice(-4)}` : "*".repeat(key.length);
    openaiReply(rec, res, 401, openai.error(`Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`, "invalid_request_error", "invalid_api_key"));
  }
  return false;
}

/** The answers every OpenAI endpoint gives before its own: bad JSON, 429, 503, the hold. */
async function openaiPreamble(double, rec, req, res, parsed) {
  if (!openaiAuthorised(double, rec, req, res)) return false;
  if (!parsed || typeof rec.body !== "object" || rec.body === null) {
    openaiReply(rec, res, 400, openai.error("We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.", "invalid_request_error"));
    return false;
  }
  if (!rec.model) {
    openaiReply(rec, res, 400, openai.error("you must provide a model parameter", "invalid_request_error"));
    return false;
  }
  if (rec.behaviour === "429") {
    openaiReply(rec, res, 429, openai.error(`Rate limit reached for ${rec.model} in organization org-double on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in ${RETRY_AFTER_S}s.`, "requests", "rate_limit_exceeded"), {
      "retry-after": String(RETRY_AFTER_S), "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": `${RETRY_AFTER_S}s`,
    });
    return false;
  }
  if (rec.behaviour === "503") {
    openaiReply(rec, res, 503, openai.error("The server is overloaded or not ready yet.", "server_error"));
    return false;
  }
  if (rec.behaviour === "slow" && !(await hold(double, res))) return false;
  return true;
}

async function openaiChat(double, rec, req, res, parsed) {
  if (!(await openaiPreamble(double, rec, req, res, parsed))) return;
  const body = rec.body;
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return openaiReply(rec, res, 400, openai.error("Missing required parameter: 'messages'.", "invalid_request_error", "missing_required_parameter", "messages"));
  }
  const limit = body.max_completion_tokens ?? body.max_tokens;
  if (limit !== undefined && !isPositiveInt(limit)) {
    return openaiReply(rec, res, 400, openai.error(`Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got ${JSON.stringify(limit)} instead.`, "invalid_request_error", "integer_below_min_value", "max_tokens"));
  }
  if (body.stream_options !== undefined && body.stream !== true) {
    return openaiReply(rec, res, 400, openai.error("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "invalid_request_error", null, "stream_options"));
  }
  const input = promptWords(body.messages);
  const tool = Array.isArray(body.tools) && body.tools.length && /use the tool/i.test(lastUserText(body.messages)) ? body.tools[0] : null;
  const id = openai.completionId();
  const { n, truncated } = replyLength(double, limit);
  const words = replyWords(n);

  if (tool) {
    const callId = openai.toolCallId();
    const args = JSON.stringify(toolArguments(tool.function?.parameters));
    const pieces = jsonPieces(args);
    rec.usage = { input, output: 0 };
    if (!body.stream) {
      rec.usage.output = pieces.length;
      return answer(rec, res, openai.completion({
        id, model: rec.model, finish: "tool_calls", input, output: pieces.length,
        message: { content: null, tool_calls: [{ id: callId, type: "function", function: { name: tool.function.name, arguments: args } }] },
      }), openaiHeaders());
    }
    return openaiStream(double, rec, res, { id, input, finish: "tool_calls", deltas: [
      { role: "assistant", content: null, tool_calls: [{ index: 0, id: callId, type: "function", function: { name: tool.function.name, arguments: "" } }], refusal: null },
      ...pieces.map((p) => ({ tool_calls: [{ index: 0, function: { arguments: p } }] })),
    ] });
  }

  rec.usage = { input, output: 0 };
  const finish = truncated ? "length" : "stop";
  if (!body.stream) {
    rec.usage.output = n;
    return answer(rec, res, openai.completion({ id, model: rec.model, finish, input, output: n, message: { content: words.join(" ") } }), openaiHeaders());
  }
  return openaiStream(double, rec, res, { id, input, finish, deltas: [
    { role: "assistant", content: "", refusal: null },
    ...words.map((w, i) => ({ content: i ? ` ${w}` : w })),
  ] });
}

/** A chat stream: one chunk per delta (the first carries the role), the finish chunk, the
 * usage chunk when asked for, `[DONE]`. Every delta after the first counts one output token. */
function openaiStream(double, rec, res, { id, input, finish, deltas }) {
  const created = Math.floor(Date.now() / 1000);
  const withUsage = rec.body.stream_options?.include_usage === true;
  const base = { id, model: rec.model, created, withUsage };
  const content = deltas.length - 1;
  const events = deltas.map((delta) => sse(openai.chunk({ ...base, delta })));
  if (rec.behaviour === "miderror") {
    const half = 1 + Math.floor(content / 2);
    events.splice(half, events.length, sse(openai.error("The server had an error while processing your request. Sorry about that!", "server_error")));
    return stream(double, rec, res, openaiHeaders(), events, (i) => { if (i >= 1 && i < half) rec.usage.output += 1; });
  }
  events.push(sse(openai.chunk({ ...base, delta: {}, finish })));
  if (withUsage) events.push(sse(openai.usageChunk({ id, model: rec.model, created, input, output: content })));
  events.push(sse("[DONE]"));
  return stream(double, rec, res, openaiHeaders(), events, (i) => { if (i >= 1 && i <= content) rec.usage.output += 1; });
}

async function openaiEmbeddings(double, rec, req, res, parsed) {
  if (!(await openaiPreamble(double, rec, req, res, parsed))) return;
  const body = rec.body;
  const inputs = typeof body.input === "string" ? [body.input] : body.input;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((s) => typeof s === "string")) {
    return openaiReply(rec, res, 400, openai.error("'input' : input must be a string or an array of strings", "invalid_request_error", null, "input"));
  }
  const format = body.encoding_format ?? "float";
  if (format !== "float" && format !== "base64") {
    return openaiReply(rec, res, 400, openai.error(`Invalid value for 'encoding_format': '${format}'. Supported values are: 'float' and 'base64'.`, "invalid_request_error", null, "encoding_format"));
  }
  const dims = body.dimensions ?? 8;
  const input = countWords(inputs.join(" "));
  rec.usage = { input, output: 0 };
  const data = inputs.map((text, index) => {
    const v = openai.embedding(text, dims);
    return { object: "embedding", index, embedding: format === "base64" ? openai.base64Floats(v) : v };
  });
  return answer(rec, res, { object: "list", data, model: rec.model, usage: { prompt_tokens: input, total_tokens: input } }, openaiHeaders());
}

// --------------------------------------------------------------------------- Anthropic

async function anthropicMessages(double, rec, req, res, parsed) {
  // The key as `x-api-key` (the documented header) or `Authorization: Bearer` (what
  // @anthropic-ai/sdk 1.x sends): either is accepted, and the one sent must be the key.
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  const key = req.headers["x-api-key"] ?? bearer;
  if (key === undefined) return anthropicReply(rec, res, 401, anthropic.error("authentication_error", "x-api-key header is required"));
  if (key !== double.anthropicKey) return anthropicReply(rec, res, 401, anthropic.error("authentication_error", "invalid x-api-key"));
  if (req.headers["anthropic-version"] === undefined) {
    return anthropicReply(rec, res, 400, anthropic.error("invalid_request_error", "anthropic-version: header is required"));
  }
  const body = rec.body;
  if (!parsed || typeof body !== "object" || body === null) return anthropicReply(rec, res, 400, anthropic.error("invalid_request_error", "Invalid JSON body"));
  for (const field of ["model", "messages", "max_tokens"]) {
    if (body[field] === undefined) return anthropicReply(rec, res, 400, anthropic.error("invalid_request_error", `${field}: Field required`));
  }
  if (!isPositiveInt(body.max_tokens)) return anthropicReply(rec, res, 400, anthropic.error("invalid_request_error", "max_tokens: Input should be greater than or equal to 1"));
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return anthropicReply(rec, res, 400, anthropic.error("invalid_request_error", "messages: at least one message is required"));
  }
  if (rec.behaviour === "429") {
    return anthropicReply(rec, res, 429, anthropic.error("rate_limit_error", "Number of requests has exceeded your per-minute rate limit; see the response headers for current usage. Please try again later."), {
      "retry-after": String(RETRY_AFTER_S),
      "anthropic-ratelimit-requests-limit": "50",
      "anthropic-ratelimit-requests-remaining": "0",
      "anthropic-ratelimit-requests-reset": new Date(Date.now() + RETRY_AFTER_S * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    });
  }
  if (rec.behaviour === "503") return anthropicReply(rec, res, 529, anthropic.error("overloaded_error", "Overloaded"));
  if (rec.behaviour === "slow" && !(await hold(double, res))) return;

  const input = promptWords(body.messages, body.system);
  const tool = Array.isArray(body.tools) && body.tools.length && /use the tool/i.test(lastUserText(body.messages)) ? body.tools[0] : null;
  const id = anthropic.messageId();
  rec.usage = { input, output: 0 };
  if (tool) {
    const text = replyWords(2);
    const toolUse = { type: "tool_use", id: anthropic.toolUseId(), name: tool.name, input: toolArguments(tool.input_schema) };
    const pieces = jsonPieces(JSON.stringify(toolUse.input));
    return anthropicAnswer(double, rec, res, { id, input, words: text, stopReason: "tool_use", toolUse, pieces });
  }
  const { n, truncated } = replyLength(double, body.max_tokens);
  return anthropicAnswer(double, rec, res, { id, input, words: replyWords(n), stopReason: truncated ? "max_tokens" : "end_turn" });
}

/** A message (JSON or the event stream): a text block of `words`, then the tool_use block if any. */
function anthropicAnswer(double, rec, res, { id, input, words, stopReason, toolUse, pieces = [] }) {
  const output = words.length + pieces.length;
  const model = rec.model;
  const text = { type: "text", text: words.join(" ") };
  if (!rec.body.stream) {
    rec.usage.output = output;
    return answer(rec, res, anthropic.message({ id, model, content: toolUse ? [text, toolUse] : [text], stopReason, input, output }), anthropicHeaders());
  }
  // Each event that carries generated text or tool-argument JSON counts one output token.
  const events = [];
  const counts = [];
  const push = (event, data, counted = false) => {
    events.push(sseEvent(event, data));
    counts.push(counted);
  };
  push("message_start", { type: "message_start", message: { ...anthropic.message({ id, model, content: [], stopReason: null, input, output: 1 }) } });
  push("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
  push("ping", { type: "ping" });
  words.forEach((w, i) => push("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: i ? ` ${w}` : w } }, true));
  if (rec.behaviour === "miderror") {
    const keep = 3 + Math.floor(words.length / 2);
    events.splice(keep);
    counts.splice(keep);
    push("error", anthropic.error("overloaded_error", "Overloaded"));
  } else {
    push("content_block_stop", { type: "content_block_stop", index: 0 });
    if (toolUse) {
      push("content_block_start", { type: "content_block_start", index: 1, content_block: { ...toolUse, input: {} } });
      pieces.forEach((p) => push("content_block_delta", { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: p } }, true));
      push("content_block_stop", { type: "content_block_stop", index: 1 });
    }
    push("message_delta", { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: output } });
    push("message_stop", { type: "message_stop" });
  }
  return stream(double, rec, res, anthropicHeaders(), events, (i) => { if (counts[i]) rec.usage.output += 1; });
}

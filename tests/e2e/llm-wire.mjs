// The wire formats the LLM provider double speaks: OpenAI's Chat Completions and Embeddings and
// Anthropic's Messages API, JSON bodies, SSE events and error bodies, written to match what the
// real APIs send field for field (checked against the official `openai` and `@anthropic-ai/sdk`
// clients in llm_double.test.mjs). Pure functions: no I/O, no clock except `created`.
import crypto from "node:crypto";

/** The words replies are made of, in order, cycled: reply k of N words is WORDS[0..N). */
export const WORDS = [
  "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett",
  "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
  "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
];

/** The first `n` words of the reply vocabulary (cycled). */
export function replyWords(n) {
  return Array.from({ length: n }, (_, i) => WORDS[i % WORDS.length]);
}

/** Whitespace-separated words in `text` (0 for an empty or blank string). */
export function countWords(text) {
  const t = String(text ?? "").trim();
  return t ? t.split(/\s+/).length : 0;
}

/** The text of a message content: a string, or an array of parts whose text parts (and, for
 * Anthropic, tool_result contents) are joined with spaces. */
export function contentText(content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => {
    if (typeof part === "string") return part;
    if (part?.type === "text") return part.text ?? "";
    if (part?.type === "tool_result") return contentText(part.content);
    return "";
  }).join(" ");
}

/** Input tokens as the double counts them: the words of every message's text (and a system prompt). */
export function promptWords(messages, system) {
  const texts = (Array.isArray(messages) ? messages : []).map((m) => contentText(m?.content));
  return countWords([contentText(system), ...texts].join(" "));
}

/** The text of the last user message ("" without one). */
export function lastUserText(messages) {
  const users = (Array.isArray(messages) ? messages : []).filter((m) => m?.role === "user");
  return users.length ? contentText(users[users.length - 1].content) : "";
}

/** Arguments the double "chooses" for a tool: each required property of its JSON schema gets a
 * fixed value of its type. */
export function toolArguments(schema) {
  const props = schema?.properties ?? {};
  const out = {};
  for (const name of schema?.required ?? Object.keys(props)) {
    const type = props[name]?.type;
    out[name] = type === "number" || type === "integer" ? 7 : type === "boolean" ? true : type === "array" ? [] : type === "object" ? {} : "double";
  }
  return out;
}

/** `json` cut into up to 3 pieces (the partial JSON a stream sends). */
export function jsonPieces(json) {
  const third = Math.max(1, Math.ceil(json.length / 3));
  const pieces = [];
  for (let i = 0; i < json.length; i += third) pieces.push(json.slice(i, i + third));
  return pieces;
}

const hex = (n) => crypto.randomBytes(n).toString("hex");
export const sse = (data) => `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
export const sseEvent = (event, data) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

// ------------------------------------------------------------------------------ OpenAI

export const openai = {
  completionId: () => `chatcmpl-${hex(12)}`,
  toolCallId: () => `call_${hex(12)}`,
  fingerprint: "fp_double01",

  usage(input, output) {
    return {
      prompt_tokens: input,
      completion_tokens: output,
      total_tokens: input + output,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    };
  },

  /** A `chat.completion` object: `message` is { content } or { tool_calls }. */
  completion({ id, model, message, finish, input, output }) {
    return {
      id,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{
        index: 0,
        message: { role: "assistant", content: message.content ?? null, ...(message.tool_calls ? { tool_calls: message.tool_calls } : {}), refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: finish,
      }],
      usage: openai.usage(input, output),
      service_tier: "default",
      system_fingerprint: openai.fingerprint,
    };
  },

  /** One `chat.completion.chunk` with a choice (`delta`, `finish`); `usage: null` on every
   * chunk when the request asked for include_usage, as the API does. */
  chunk({ id, model, created, delta, finish = null, withUsage }) {
    return {
      id, object: "chat.completion.chunk", created, model, service_tier: "default", system_fingerprint: openai.fingerprint,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(withUsage ? { usage: null } : {}),
    };
  },

  /** The last chunk with include_usage: no choices, the usage of the whole request. */
  usageChunk({ id, model, created, input, output }) {
    return { id, object: "chat.completion.chunk", created, model, service_tier: "default", system_fingerprint: openai.fingerprint, choices: [], usage: openai.usage(input, output) };
  },

  /** `{"error":{"message","type","param","code"}}`. */
  error(message, type, code = null, param = null) {
    return { error: { message, type, param, code } };
  },

  /** A deterministic unit-ish vector of `dims` floats for `text`. */
  embedding(text, dims) {
    const seed = crypto.createHash("sha256").update(String(text)).digest();
    const v = Array.from({ length: dims }, (_, i) => (seed[i % seed.length] - 127.5) / 127.5);
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => Math.fround(x / norm));
  },

  /** Floats as the API's `encoding_format: "base64"` sends them: little-endian float32 bytes. */
  base64Floats(floats) {
    const buf = Buffer.alloc(floats.length * 4);
    floats.forEach((x, i) => buf.writeFloatLE(x, i * 4));
    return buf.toString("base64");
  },
};

// --------------------------------------------------------------------------- Anthropic

export const anthropic = {
  messageId: () => `msg_${hex(12)}`,
  toolUseId: () => `toolu_${hex(12)}`,
  requestId: () => `req_${hex(12)}`,

  usage(input, output) {
    return { input_tokens: input, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: output, service_tier: "standard" };
  },

  /** A `message` object. */
  message({ id, model, content, stopReason, input, output }) {
    return { id, type: "message", role: "assistant", model, content, stop_reason: stopReason, stop_sequence: null, usage: anthropic.usage(input, output) };
  },

  /** `{"type":"error","error":{"type","message"}}` (with the request id, as the API adds). */
  error(type, message, requestId) {
    return { type: "error", error: { type, message }, ...(requestId ? { request_id: requestId } : {}) };
  },
};

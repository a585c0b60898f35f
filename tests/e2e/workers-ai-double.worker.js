// A Workers AI binding double for Miniflare's `wrappedBindings`: the module's default export
// takes the binding's inner env and returns an object with the contract of `env.AI.run(model,
// inputs, options)`, answering the way Workers AI does, without Cloudflare or the network
// (Miniflare's own `ai` binding proxies every call to Cloudflare; see workers-ai.mjs).
//
// Text generation (`@cf/...` models other than embeddings): inputs `{ messages }` or `{ prompt }`,
// `max_tokens` (Workers AI's default 256), `stream`. The reply is the first N words of the same
// vocabulary as the LLM double (llm-wire.mjs), N = max_tokens capped at env.WORDS (40).
//   non-stream: { response, tool_calls: [], usage: { prompt_tokens, completion_tokens, total_tokens } }
//   stream:     a ReadableStream of SSE bytes: `data: {"response":"word ","p":"..."}` per word,
//               then `data: {"response":"","usage":{...}}` and `data: [DONE]`
// Embeddings (`@cf/baai/bge-*`): inputs `{ text: string | string[] }` ->
//   { shape: [n, d], data: [[...d floats]], pooling: "mean" }
// A model whose name ends in `-fail` throws the way the binding does for an upstream error.
// With env.LOG_CALLS, each call is logged as one JSON line `{"workers_ai_double": {...}}`.

const WORDS = [
  "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett",
  "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
  "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
];

const EMBEDDING_DIMS = { "bge-small-en-v1.5": 384, "bge-base-en-v1.5": 768, "bge-large-en-v1.5": 1024, "bge-m3": 1024 };

const countWords = (text) => {
  const t = String(text ?? "").trim();
  return t ? t.split(/\s+/).length : 0;
};

const contentText = (content) => (typeof content === "string" ? content
  : Array.isArray(content) ? content.map((p) => (p?.type === "text" ? p.text ?? "" : "")).join(" ") : "");

/** A deterministic vector of `dims` floats for `text` (FNV-1a seeded). */
function embed(text, dims) {
  let h = 2166136261;
  for (const ch of String(text)) h = Math.imul(h ^ ch.codePointAt(0), 16777619) >>> 0;
  const out = [];
  for (let i = 0; i < dims; i++) {
    h = Math.imul(h ^ i, 16777619) >>> 0;
    out.push(Math.fround(((h % 2000) - 1000) / 1000));
  }
  return out;
}

class WorkersAiDouble {
  constructor(env) {
    this.words = Number(env.WORDS ?? 40);
    this.log = Boolean(env.LOG_CALLS);
  }

  async run(model, inputs, options = {}) {
    if (typeof model !== "string" || !model.startsWith("@cf/")) throw new Error(`5007: No such model ${model} or task`);
    if (inputs === null || typeof inputs !== "object") throw new Error("5006: Error: required properties at '/' are 'prompt' or 'messages'");
    if (this.log) console.log(JSON.stringify({ workers_ai_double: { model, inputs, options } }));
    if (model.endsWith("-fail")) throw new Error("3040: Capacity temporarily exceeded, please try again.");
    const bge = /^@cf\/baai\/(bge-[\w.-]+)$/.exec(model);
    if (bge) return this.embeddings(bge[1], inputs);
    return this.textGeneration(inputs);
  }

  embeddings(name, inputs) {
    const dims = EMBEDDING_DIMS[name];
    if (!dims) throw new Error(`5007: No such model @cf/baai/${name} or task`);
    const texts = typeof inputs.text === "string" ? [inputs.text] : inputs.text;
    if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === "string")) {
      throw new Error("5006: Error: required properties at '/' are 'text'");
    }
    return { shape: [texts.length, dims], data: texts.map((t) => embed(t, dims)), pooling: "mean" };
  }

  textGeneration(inputs) {
    const prompt = Array.isArray(inputs.messages)
      ? inputs.messages.map((m) => contentText(m?.content)).join(" ")
      : typeof inputs.prompt === "string" ? inputs.prompt : null;
    if (prompt === null) throw new Error("5006: Error: required properties at '/' are 'prompt' or 'messages'");
    const maxTokens = inputs.max_tokens ?? 256;
    if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new Error("5006: Error: /max_tokens must be >= 1");
    const n = Math.min(maxTokens, this.words);
    const words = Array.from({ length: n }, (_, i) => WORDS[i % WORDS.length]);
    const usage = { prompt_tokens: countWords(prompt), completion_tokens: n, total_tokens: countWords(prompt) + n };
    if (!inputs.stream) return { response: words.join(" "), tool_calls: [], usage };
    const encoder = new TextEncoder();
    const frames = [
      ...words.map((w, i) => ({ response: i < n - 1 ? `${w} ` : w, p: "abcdefghijklmnopqrstuvwxyz0123456789".slice(0, 1 + ((i * 7) % 36)) })),
      { response: "", usage },
    ].map((f) => `data: ${JSON.stringify(f)}\n\n`);
    frames.push("data: [DONE]\n\n");
    let i = 0;
    return new ReadableStream({
      pull(controller) {
        if (i < frames.length) controller.enqueue(encoder.encode(frames[i++]));
        else controller.close();
      },
    });
  }
}

/** The wrapped binding: Miniflare calls this with the binding's inner env. */
export default function (env) {
  return new WorkersAiDouble(env);
}

// The Workers AI binding double in a real workerd (Miniflare), called as a worker calls
// env.AI.run; and what Miniflare's own `ai` binding does here (it needs Cloudflare).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Miniflare } from "miniflare";
import { workersAiBinding } from "./workers-ai.mjs";

// A worker that forwards POST { model, inputs, options } to env.AI.run and answers the result:
// a stream as text/event-stream, an object as JSON, a thrown error as 500 with its message.
const CALLER = `export default {
  async fetch(request, env) {
    const { model, inputs, options } = await request.json();
    try {
      const out = await env.AI.run(model, inputs, options);
      if (out instanceof ReadableStream) return new Response(out, { headers: { "content-type": "text/event-stream" } });
      return Response.json(out);
    } catch (e) {
      return new Response(String(e.message ?? e), { status: 500 });
    }
  },
};`;

const s = {};
before(async () => {
  const ai = workersAiBinding({ logCalls: false });
  s.mf = new Miniflare({
    workers: [
      { name: "caller", modules: true, script: CALLER, compatibilityDate: "2026-04-01", wrappedBindings: ai.wrappedBindings },
      ai.worker,
    ],
  });
  await s.mf.ready;
});
after(() => s.mf?.dispose());

const run = (model, inputs, options) =>
  s.mf.dispatchFetch("http://caller/", { method: "POST", body: JSON.stringify({ model, inputs, options }) });

test("text generation: the answer is { response, usage } with prompt and completion tokens in words", async () => {
  const res = await run("@cf/meta/llama-3.1-8b-instruct", { messages: [{ role: "user", content: "one two three" }], max_tokens: 4 });
  assert.equal(res.status, 200);
  const out = await res.json();
  assert.equal(out.response, "alpha bravo charlie delta");
  assert.deepEqual(out.usage, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
});

test("text generation with stream: true is a ReadableStream of SSE frames: one word each, then usage, then [DONE]", async () => {
  const res = await run("@cf/meta/llama-3.1-8b-instruct", { prompt: "say it", max_tokens: 3, stream: true });
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  const frames = (await res.text()).split("\n\n").filter(Boolean);
  assert.equal(frames.at(-1), "data: [DONE]");
  const data = frames.slice(0, -1).map((f) => JSON.parse(f.slice("data: ".length)));
  assert.deepEqual(data.slice(0, 3).map((d) => d.response), ["alpha ", "bravo ", "charlie"]);
  assert.ok(data.slice(0, 3).every((d) => typeof d.p === "string"), "token frames carry the p padding field");
  assert.deepEqual(data[3], { response: "", usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 } });
});

test("embeddings: a bge model answers { shape: [n, d], data } with d of that model", async () => {
  const out = await (await run("@cf/baai/bge-base-en-v1.5", { text: ["a b", "c"] })).json();
  assert.deepEqual(out.shape, [2, 768]);
  assert.equal(out.data.length, 2);
  assert.equal(out.data[0].length, 768);
  assert.notDeepEqual(out.data[0], out.data[1]);
  assert.deepEqual((await (await run("@cf/baai/bge-small-en-v1.5", { text: "a b" })).json()).shape, [1, 384]);
});

test("an unknown model or missing inputs throw like the binding, not answer", async () => {
  const unknown = await run("gpt-4o", { prompt: "x" });
  assert.equal(unknown.status, 500);
  assert.match(await unknown.text(), /No such model/);
  const noPrompt = await run("@cf/meta/llama-3.1-8b-instruct", {});
  assert.equal(noPrompt.status, 500);
  assert.match(await noPrompt.text(), /'prompt' or 'messages'/);
});

test("Miniflare's own ai binding cannot run here: without a remote proxy session it throws 'needs to be run remotely'", async () => {
  const mf = new Miniflare({ modules: true, script: CALLER, compatibilityDate: "2026-04-01", ai: { binding: "AI" } });
  try {
    const res = await mf.dispatchFetch("http://caller/", { method: "POST", body: JSON.stringify({ model: "@cf/meta/llama-3.1-8b-instruct", inputs: { prompt: "hi" } }) });
    assert.equal(res.status, 500);
    assert.match(await res.text(), /needs to be run remotely/);
  } finally {
    await mf.dispose();
  }
});

// AI1's peer: the smallest hand-written LLM pass-through a Workers user would write. The
// client's chat-completions POST goes to the OpenAI provider with the provider's key in place
// of the client's; the provider's answer (an SSE stream) comes back unchanged, never buffered.
// No authentication, limits, translation, usage reading or log: the platform floor.
export default {
  async fetch(request, env) {
    const upstream = await fetch(`${env.LLM_OPENAI_URL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${env.LLM_OPENAI_KEY}` },
      body: request.body,
    });
    return new Response(upstream.body, upstream);
  },
};

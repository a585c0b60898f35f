// AI1's peers: the smallest hand-written LLM pass-through a Workers user would write. The
// client's chat-completions POST goes to the OpenAI provider with the provider's key in place
// of the client's; the provider's answer (an SSE stream) comes back unchanged, never buffered.
// No authentication, limits, translation or log.
// - READ_USAGE unset ("peer"): the body is handed back as it is, so workerd pipes it natively
//   and no JS runs per chunk: the platform floor.
// - READ_USAGE = "1" ("peer-usage"): the stream goes through a TransformStream that reads the
//   token usage as the events pass (decode, split events, JSON.parse each data line), as a
//   hand-written proxy that counts tokens must; every chunk is forwarded as soon as it arrives.
export default {
  async fetch(request, env, ctx) {
    const upstream = await fetch(`${env.LLM_OPENAI_URL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${env.LLM_OPENAI_KEY}` },
      body: request.body,
    });
    if (env.READ_USAGE !== "1" || !upstream.body) return new Response(upstream.body, upstream);
    const decoder = new TextDecoder();
    let pending = "";
    let usage = null;
    const read = (text) => {
      pending += text;
      let end;
      while ((end = pending.indexOf("\n\n")) >= 0) {
        const event = pending.slice(0, end);
        pending = pending.slice(end + 2);
        for (const line of event.split("\n")) {
          if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
          try {
            usage = JSON.parse(line.slice(6)).usage ?? usage;
          } catch {}
        }
      }
    };
    const counting = new TransformStream({
      transform(chunk, controller) {
        read(decoder.decode(chunk, { stream: true }));
        controller.enqueue(chunk);
      },
      flush() {
        read(decoder.decode());
        // What a gateway would bill: one line at the end, as Gatehouse's access log.
        ctx.waitUntil(Promise.resolve().then(() => console.log(JSON.stringify({ usage }))));
      },
    });
    return new Response(upstream.body.pipeThrough(counting), upstream);
  },
};

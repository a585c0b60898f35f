// The Workers AI binding double (workers-ai-double.worker.js) as Miniflare options.
//
// Why a double: Miniflare 4's own `ai: { binding }` option wraps workerd's built-in client
// (`cloudflare-internal:ai-api`) around a fetcher that is Miniflare's remote-proxy client
// worker. Without `remoteProxyConnectionString` every call throws "Binding AI needs to be run
// remotely"; the connection string comes from wrangler's startRemoteProxySession, which deploys a
// proxy worker to Cloudflare (`remote: "minimal"` preview), so it needs a Cloudflare account,
// credentials (CLOUDFLARE_API_TOKEN or `wrangler login`) and the network, and every call is
// billed inference. None of that is available (or wanted) in the tests.
//
//   const ai = workersAiBinding();                      // binding "AI"
//   startGateway(bindings, { wrappedBindings: ai.wrappedBindings }, [ai.worker]);
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * `{ wrappedBindings, worker }` for a gateway whose `binding` (default "AI") is the Workers AI
 * double: pass `wrappedBindings` in the gateway's options and `worker` among the other workers.
 * `words` caps every reply (40); `logCalls` logs each run() as a JSON line on stdout.
 */
export function workersAiBinding({ binding = "AI", words = 40, logCalls = true, name = "workers-ai-double" } = {}) {
  return {
    wrappedBindings: { [binding]: { scriptName: name, bindings: { WORDS: words, LOG_CALLS: logCalls } } },
    worker: {
      name,
      // No compatibility date: a wrapped binding runs on the date of the worker that binds it.
      modules: [{ type: "ESModule", path: path.join(here, "workers-ai-double.worker.js") }],
    },
  };
}

// The LLM provider double of the end-to-end tests (tests/e2e/llm-double.mjs) as a program, for
// `make dev`: OpenAI's API at http://127.0.0.1:PORT/v1 and Anthropic's at http://127.0.0.1:PORT
// (POST /v1/messages), JSON and streamed, in the real wire formats.
//
//   LLM_OPENAI_KEY=... LLM_ANTHROPIC_KEY=... node scripts/llm-double.mjs [port]   (default 9004)
//
// The provider keys it accepts come from the environment (scripts/dev.sh passes the ones it
// wrote to .dev.vars, which the gateway sends); without them it makes random ones. The model
// name picks the behaviour (`*-ok` answers, `*-429`, `*-503`, `*-cut` ...: see the double's
// file comment); replies are the first max_tokens words of a fixed list, at most 40.
import { startLlmDouble } from "../tests/e2e/llm-double.mjs";

const arg = process.argv[2] ?? "9004";
const port = Number(arg);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`usage: node scripts/llm-double.mjs [port]  (a port is 1 to 65535; got ${JSON.stringify(arg)})`);
  process.exit(2);
}
let double;
try {
  double = await startLlmDouble({
    port,
    openaiKey: process.env.LLM_OPENAI_KEY || undefined,
    anthropicKey: process.env.LLM_ANTHROPIC_KEY || undefined,
    record: false,
  });
} catch (err) {
  console.error(`[llm] cannot listen on 127.0.0.1:${port}: ${err.message}`);
  process.exit(1);
}
console.log(`[llm] provider double on ${double.url} (OpenAI's API at /v1, Anthropic's at /v1/messages)`);

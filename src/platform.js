// Thin JS adapters for the hot path. Each does in one call what would otherwise take several
// wasm <-> JS crossings; the decisions stay in Rust (see platform.rs).

/** Deletes every name in `names` (a JS array built once per isolate) from `headers`. */
export function deleteAll(headers, names) {
  for (let i = 0; i < names.length; i++) headers.delete(names[i]);
}

/**
 * fetch() that never follows redirects and rejects with the string "timeout" when response
 * headers take longer than `ms`. The timer is cleared once headers arrive, so the body then
 * streams without a limit. `body` is the client's stream, or null.
 */
export function fetchWithTimeout(url, method, headers, body, ms) {
  const controller = new AbortController();
  const init = { method, headers, body, redirect: "manual", signal: controller.signal };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, ms);
  return fetch(url, init).then(
    (response) => {
      clearTimeout(timer);
      return response;
    },
    (error) => {
      clearTimeout(timer);
      throw timedOut ? "timeout" : error;
    },
  );
}

/** A new response with the origin's status, status text and streamed body, and `headers`. */
export function rewrap(response, headers) {
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** Writes `line` with console.log after the response has been handed back. */
export function logAfterResponse(ctx, line) {
  ctx.waitUntil(Promise.resolve().then(() => console.log(line)));
}

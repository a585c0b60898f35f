// The platform floor: the smallest JS pass-through worker. Same method, headers, body and
// path to the origin; the origin's response returned as-is.
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.ORIGIN + url.pathname + url.search, request);
  },
};

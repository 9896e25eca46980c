/**
 * The sandbox world seen through a client's `fetch`. The world answers one hop at a time, as servers do
 * (a 301 is a 301); a real `fetch` follows redirects by itself unless told `redirect: "manual"`, and
 * after 20 hops gives up with workerd's TypeError. A redirect loop (a Flexible-SSL zone in front of
 * Railway, cloudflare/edge.ts) therefore reaches the adapters as it would in production.
 */

/** Hops a fetch follows before it gives up (the Fetch standard's limit, also workerd's). */
export const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A `fetch` over the world's in-process handler that follows redirects as the platform's fetch does. */
export function sandboxFetch(world: { fetch(request: Request): Promise<Response> }): typeof fetch {
  return async (input, init) => {
    const first = new Request(input, init);
    if (first.redirect !== "follow") return world.fetch(first);
    let method = first.method;
    let body = method === "GET" || method === "HEAD" ? null : await first.arrayBuffer();
    let url = first.url;
    for (let hop = 0; ; hop++) {
      const response = await world.fetch(
        new Request(url, { method, headers: first.headers, body, redirect: "manual" }),
      );
      const location = response.headers.get("location");
      if (!REDIRECTS.has(response.status) || location === null) return response;
      if (hop >= MAX_REDIRECTS) throw new TypeError("Too many redirects.");
      // The standard turns a 303, and a 301/302 after POST, into a GET without a body.
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
        method = "GET";
        body = null;
      }
      url = new URL(location, url).toString();
    }
  };
}

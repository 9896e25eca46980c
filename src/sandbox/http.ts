/** The one way the sandbox's simulated providers answer JSON: status, body, and the provider's own headers. */

/**
 * A JSON response. `headers` may replace the content type (GitHub and Twilio send a charset); a 204 has no
 * body, as every provider answers it.
 */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

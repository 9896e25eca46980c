import type { MiddlewareHandler } from "hono";
import { redactDeep } from "../security/redact";
import type { AppEnv } from "./auth";

/**
 * The API's output boundary: every JSON answer passes the one redactor (known secret values and
 * credential-shaped text) on its way out — run notes and errors, incident titles, audit summaries, plans
 * in chat replies — whatever route built it. Downloads (`content-disposition`) go out as stored: the audit
 * export must stay byte for byte what was signed, and artifacts were redacted when written.
 */
export function redactJsonResponses(): MiddlewareHandler<AppEnv> {
  return async function redactJsonResponses(c, next) {
    await next();
    const type = c.res.headers.get("content-type") ?? "";
    if (!type.startsWith("application/json") || c.res.headers.has("content-disposition")) return;
    const text = await c.res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      c.res = new Response(text, c.res);
      return;
    }
    const headers = new Headers(c.res.headers);
    headers.delete("content-length");
    const redact = await c.var.services.redactor();
    c.res = new Response(JSON.stringify(redactDeep(body, redact)), { status: c.res.status, headers });
  };
}

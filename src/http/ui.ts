import { type Context, Hono } from "hono";
import { CHAT_JS } from "../ui/client";
import { CHAT_PAGE } from "../ui/page";
import { CHAT_CSS } from "../ui/styles";
import type { AppEnv } from "./auth";

/**
 * The web chat's policy: only our own script, style and connections (fetch, SSE and the live
 * WebSockets are same-origin), no plugins, no framing, no inline code of any kind.
 */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const UI_HEADERS = {
  "content-security-policy": UI_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-cache",
};

const page = (c: Context) => c.body(CHAT_PAGE, 200, { ...UI_HEADERS, "content-type": "text/html; charset=utf-8" });

/**
 * The console's pages (one shell for every address: the client draws the page the path names, after
 * sign-in, so links in texts and chat work as deep links) and its two assets. No token is needed to
 * load them, only to use the API.
 */
export const uiRoutes = new Hono<AppEnv>()
  .get("/", page)
  .get("/runs/:id", page)
  .get("/envs/:id", page)
  .get("/incidents/:id", page)
  .get("/approvals", page)
  .get("/history", page)
  .get("/settings", page)
  .get("/ui/app.js", (c) => c.body(CHAT_JS, 200, { ...UI_HEADERS, "content-type": "text/javascript; charset=utf-8" }))
  .get("/ui/app.css", (c) => c.body(CHAT_CSS, 200, { ...UI_HEADERS, "content-type": "text/css; charset=utf-8" }));

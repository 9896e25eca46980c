/**
 * The sandbox's in-process `fetch`: routes a provider request by host, applies provider faults, records
 * it. Unknown hosts fail closed (502): an adapter must never reach the real internet through the sandbox.
 */
import { handleApp, isAppHost } from "./app";
import { takeProviderFault } from "./faults";
import { GITHUB_HOST, handleGitHub } from "./github";
import { RAILWAY_HOSTS, RailwayGraphqlServer } from "./railway/server";
import { recordRequest, redactHeaders } from "./request-log";
import type { JsonValue, ProviderFault, RecordedProvider } from "./types";
import { advanceDeployments } from "./world/lifecycle";
import type { World } from "./world/store";

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** Which simulated provider serves a hostname, or "unknown". */
export function providerOfHost(hostname: string): RecordedProvider {
  const host = hostname.toLowerCase();
  if (RAILWAY_HOSTS.has(host)) return "railway";
  if (host === GITHUB_HOST) return "github";
  if (isAppHost(host)) return "app";
  return "unknown";
}

/** The provider's own answer to an injected 429/500/503, before anything is applied. */
function faultResponse(provider: "railway" | "github", fault: ProviderFault): Response {
  const headers: Record<string, string> = { "x-sandbox-fault": String(fault.status) };
  if (fault.status === 429) {
    const retryAfter = fault.retryAfterSeconds ?? 1;
    Object.assign(headers, { "retry-after": String(retryAfter), "x-ratelimit-remaining": "0" });
    const message = provider === "railway" ? "Rate limit exceeded. Please try again later." : "API rate limit exceeded.";
    return json(429, provider === "railway" ? { errors: [{ message }] } : { message, documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" }, headers);
  }
  const message = fault.status === 500 ? "Internal Server Error" : "Service Unavailable";
  return json(fault.status === 500 ? 500 : 503, provider === "railway" ? { errors: [{ message }] } : { message }, headers);
}

/**
 * A "timeout" fault: the request WAS applied but its answer is lost. Hanging until the client's own
 * timeout would make every test slow, so the sandbox answers 504 at once; the adapter sees a gateway
 * timeout after the write happened — the classic ambiguous write it must reconcile by reading back.
 */
function timeoutResponse(): Response {
  return new Response("upstream request timeout", { status: 504, headers: { "content-type": "text/plain", "x-sandbox-fault": "timeout" } });
}

function parseLogBody(text: string): JsonValue {
  if (text === "") return null;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** Routes requests into the world; one per SandboxDO so the Railway schema is built once per instance. */
export class SandboxRouter {
  readonly railway = new RailwayGraphqlServer();

  /** Answers one provider request. Everything after reading the body is synchronous, hence atomic. */
  async handle(world: World, request: Request): Promise<Response> {
    const url = new URL(request.url);
    const provider = providerOfHost(url.hostname);
    const text = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
    advanceDeployments(world);
    let response: Response;
    let logBody: JsonValue = parseLogBody(text);
    if (provider === "unknown") {
      response = json(502, { error: { code: "sandbox_unknown_host", message: `The sandbox has no host ${url.hostname}; outbound requests fail closed.` } });
    } else if (provider === "app") {
      response = handleApp(world, request);
    } else {
      const fault = takeProviderFault(world, provider, operationOf(provider, request.method, url.pathname, logBody));
      if (fault && fault.status !== "timeout") {
        response = faultResponse(provider, fault);
        if (provider === "railway") logBody = this.railway.describe(text);
      } else if (provider === "railway") {
        const exchange = this.railway.handle(world, request, text);
        response = exchange.response;
        logBody = exchange.logBody;
      } else {
        response = handleGitHub(world, request);
      }
      if (fault?.status === "timeout") response = timeoutResponse();
    }
    recordRequest(world, {
      provider, method: request.method, host: url.hostname, path: url.pathname + url.search,
      headers: redactHeaders(request.headers), body: logBody, status: response.status,
    });
    return response;
  }
}

/** What a provider fault's `operation` matches: Railway's operationName, else "METHOD /path". */
function operationOf(provider: RecordedProvider, method: string, path: string, body: JsonValue): string {
  if (provider === "railway" && body && typeof body === "object" && !Array.isArray(body) && typeof body.operationName === "string") return body.operationName;
  return `${method} ${path}`;
}

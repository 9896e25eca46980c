/**
 * The sandbox's in-process `fetch`: routes a provider request by host, applies provider faults, records
 * it. Unknown hosts fail closed (502): an adapter must never reach the real internet through the sandbox.
 */
import { handleApp, isAppHost } from "./app";
import { routeThroughEdge } from "./cloudflare/edge";
import { CLOUDFLARE_HOST, handleCloudflare } from "./cloudflare/server";
import { takeProviderFault } from "./faults";
import { GITHUB_HOST, handleGitHub } from "./github";
import { faultResponse, timeoutResponse, type FaultableProvider } from "./provider-faults";
import { RAILWAY_HOSTS, RailwayGraphqlServer } from "./railway/server";
import { boundaryOf, parseMultipart } from "./cloudflare/multipart";
import { REDACTED, recordRequest, redactHeaders } from "./request-log";
import { json } from "./http";
import { handleSendGrid, SENDGRID_HOSTS } from "./sendgrid/server";
import { handleStripe, STRIPE_HOST } from "./stripe/server";
import { handleTwilio, TWILIO_HOST } from "./twilio/server";
import type { JsonValue, RecordedProvider } from "./types";
import { forwardOps, runExternalPreDeploys } from "./ops/external";
import { advanceDeployments } from "./world/lifecycle";
import type { World } from "./world/store";

/** Which simulated provider serves a hostname, or "unknown". */
export function providerOfHost(hostname: string): RecordedProvider {
  const host = hostname.toLowerCase();
  if (RAILWAY_HOSTS.has(host)) return "railway";
  if (host === GITHUB_HOST) return "github";
  if (host === CLOUDFLARE_HOST) return "cloudflare";
  if (host === TWILIO_HOST) return "twilio";
  if (host === STRIPE_HOST) return "stripe";
  if (SENDGRID_HOSTS.has(host)) return "sendgrid";
  if (isAppHost(host)) return "app";
  return "unknown";
}

// A Worker's bindings carry secrets: JSON parts are logged with every secret_text's text masked, module
// parts by size only.
function multipartLogBody(text: string, boundary: string): JsonValue {
  const parts = parseMultipart(text, boundary);
  if (!parts) return "[malformed multipart body]";
  const mask = (value: unknown): JsonValue => {
    if (Array.isArray(value)) return value.map(mask);
    if (typeof value !== "object" || value === null) return value as JsonValue;
    const entries = Object.entries(value as Record<string, unknown>);
    const secret = entries.some(([k, v]) => k === "type" && v === "secret_text");
    return Object.fromEntries(entries.map(([k, v]) => [k, secret && k === "text" ? REDACTED : mask(v)]));
  };
  return Object.fromEntries(
    parts.map((p) => {
      if (p.contentType?.includes("json")) {
        try {
          return [p.name, mask(JSON.parse(p.content))];
        } catch {
          return [p.name, "[malformed JSON]"];
        }
      }
      return [p.name, `[${p.content.length} bytes of ${p.contentType ?? "text"}]`];
    }),
  );
}

// Form posts (Twilio, Stripe) are logged as their fields, JSON as parsed JSON, anything else as text.
function parseLogBody(text: string, contentType: string | null): JsonValue {
  if (text === "") return null;
  const boundary = boundaryOf(contentType);
  if (boundary) return multipartLogBody(text, boundary);
  if (contentType?.includes("application/x-www-form-urlencoded")) {
    const fields: Record<string, string> = {};
    new URLSearchParams(text).forEach((value, name) => {
      fields[name] = value;
    });
    return fields;
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** Routes requests into the world; one per SandboxDO so the Railway schema is built once per instance. */
export class SandboxRouter {
  readonly railway = new RailwayGraphqlServer();
  /** The network, for real apps attached to simulated services only (never a provider host). */
  readonly fetchExternal: typeof fetch = (input, init) => fetch(input, init);

  /** Answers one provider request. After the body and any attached real app's answer, everything is synchronous, hence atomic. */
  async handle(world: World, request: Request): Promise<Response> {
    const url = new URL(request.url);
    let provider = providerOfHost(url.hostname);
    // A hostname of a sandbox zone goes through Cloudflare's edge, which answers itself or passes it to an app.
    const edge = provider === "unknown" ? routeThroughEdge(world, request) : null;
    if (edge) provider = "edge";
    const appRequest = edge?.kind === "origin" ? edge.request : request;
    const servesApp = provider === "app" || edge?.kind === "origin";
    // Decoded by hand: workerd warns on .text() of a form-encoded body, though UTF-8 is what Twilio sends.
    const text =
      request.method === "GET" || request.method === "HEAD"
        ? ""
        : new TextDecoder().decode(await request.arrayBuffer());
    // Real apps attached to services (ops/external.ts) answer before the synchronous part below.
    await runExternalPreDeploys(world, this.fetchExternal);
    advanceDeployments(world);
    const forwarded = servesApp ? await forwardOps(world, appRequest, text, this.fetchExternal) : null;
    let response: Response;
    let logBody: JsonValue = parseLogBody(text, request.headers.get("content-type"));
    if (provider === "unknown") {
      response = json(502, {
        error: {
          code: "sandbox_unknown_host",
          message: `The sandbox has no host ${url.hostname}; outbound requests fail closed.`,
        },
      });
    } else if (edge?.kind === "answer") {
      response = edge.response;
    } else if (forwarded) {
      response = forwarded;
    } else if (provider === "app" || provider === "edge") {
      response = handleApp(world, appRequest, text);
    } else {
      const fault = takeProviderFault(world, provider, operationOf(provider, request.method, url.pathname, logBody));
      if (fault && fault.status !== "timeout") {
        response = faultResponse(provider, fault);
        if (provider === "railway") logBody = this.railway.describe(text);
      } else {
        const exchange = this.#serve(provider, world, request, text);
        response = exchange.response;
        logBody = exchange.logBody ?? logBody;
      }
      if (fault?.status === "timeout") response = timeoutResponse();
    }
    if (edge?.kind === "origin" && edge.setCookie) {
      response = new Response(response.body, response);
      response.headers.append("set-cookie", edge.setCookie);
    }
    recordRequest(world, {
      provider,
      method: request.method,
      host: url.hostname,
      path: url.pathname + url.search,
      headers: redactHeaders(request.headers),
      body: logBody,
      status: response.status,
    });
    return response;
  }

  #serve(
    provider: FaultableProvider,
    world: World,
    request: Request,
    text: string,
  ): { response: Response; logBody?: JsonValue } {
    switch (provider) {
      case "railway":
        return this.railway.handle(world, request, text);
      case "github":
        return { response: handleGitHub(world, request) };
      case "cloudflare":
        return { response: handleCloudflare(world, request, text) };
      case "twilio":
        return { response: handleTwilio(world, request, text) };
      case "stripe":
        return { response: handleStripe(world, request, text) };
      case "sendgrid":
        return { response: handleSendGrid(world, request, text) };
    }
  }
}

/** What a provider fault's `operation` matches: Railway's operationName, else "METHOD /path". */
function operationOf(provider: RecordedProvider, method: string, path: string, body: JsonValue): string {
  if (
    provider === "railway" &&
    body &&
    typeof body === "object" &&
    !Array.isArray(body) &&
    typeof body.operationName === "string"
  )
    return body.operationName;
  return `${method} ${path}`;
}

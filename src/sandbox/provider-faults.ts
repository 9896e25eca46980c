/** What each provider answers to an injected 429/500/503, in its own error format, before anything is applied. */
import { json } from "./http";
import type { ProviderFault } from "./types";

/** Providers the router can inject faults into (those with a host in the sandbox). */
export type FaultableProvider = "railway" | "github" | "cloudflare" | "twilio" | "stripe" | "sendgrid";

const MESSAGES: Record<FaultableProvider, Record<429 | 500 | 503, string>> = {
  railway: {
    429: "Rate limit exceeded. Please try again later.",
    500: "Internal Server Error",
    503: "Service Unavailable",
  },
  github: { 429: "API rate limit exceeded.", 500: "Internal Server Error", 503: "Service Unavailable" },
  cloudflare: {
    429: "Please wait and consider throttling your request speed",
    500: "Internal Server Error",
    503: "Service Unavailable",
  },
  twilio: { 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable" },
  stripe: {
    429: "Too many requests hit the API too quickly.",
    500: "An unknown error occurred",
    503: "Service Unavailable",
  },
  sendgrid: { 429: "too many requests", 500: "internal server error", 503: "service unavailable" },
};

/** The provider's own error body for a 429/500/503 (also what Railway answers once a token's budget is spent). */
export function providerErrorBody(provider: FaultableProvider, status: 429 | 500 | 503): object {
  const message = MESSAGES[provider][status];
  switch (provider) {
    case "railway":
      return { errors: [{ message }] };
    case "github":
      return status === 429
        ? { message, documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" }
        : { message };
    case "cloudflare":
      // 971 is Cloudflare's throttling code; server-side failures carry a generic 1000-range code.
      return { success: false, errors: [{ code: status === 429 ? 971 : 1000, message }], messages: [], result: null };
    case "twilio": {
      const code = 20000 + status;
      return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
    }
    case "stripe":
      return {
        error: {
          type: status === 429 ? "invalid_request_error" : "api_error",
          code: status === 429 ? "rate_limit" : undefined,
          message,
        },
      };
    case "sendgrid":
      return { errors: [{ field: null, message }] };
  }
}

/** The provider's answer to an injected status fault (429 carries Retry-After and an exhausted rate limit). */
export function faultResponse(provider: FaultableProvider, fault: ProviderFault): Response {
  // Only status faults reach here: takeProviderFault never hands out a Twilio delivery fault.
  const status = typeof fault.status === "number" ? fault.status : 503;
  const headers: Record<string, string> = { "x-sandbox-fault": String(fault.status) };
  if (status === 429) {
    Object.assign(headers, { "retry-after": String(fault.retryAfterSeconds ?? 1) });
    Object.assign(
      headers,
      provider === "cloudflare"
        ? { "x-ratelimit-remaining": "0", "x-ratelimit-limit": "1200" }
        : { "x-ratelimit-remaining": "0" },
    );
    // SendGrid says when the window resets instead of Retry-After (sendgrid.md).
    if (provider === "sendgrid")
      headers["x-ratelimit-reset"] = String(Math.floor(Date.now() / 1000) + (fault.retryAfterSeconds ?? 1));
  }
  return json(status, providerErrorBody(provider, status), headers);
}

/**
 * A "timeout" fault: the request WAS applied but its answer is lost. Hanging until the client's own
 * timeout would make every test slow, so the sandbox answers 504 at once; the adapter sees a gateway
 * timeout after the write happened — the classic ambiguous write it must reconcile by reading back.
 */
export function timeoutResponse(): Response {
  return new Response("upstream request timeout", {
    status: 504,
    headers: { "content-type": "text/plain", "x-sandbox-fault": "timeout" },
  });
}

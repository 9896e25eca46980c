/** The SendGrid adapter: SendGridApi over the v3 Web API, JSON bodies, Bearer key (providers/sendgrid.md). */
import { z } from "zod";
import { parseJsonBody, providerRequest, resolveTransportOptions, type RequestKind } from "../http";
import type { ProviderContext } from "../types";
import type { SendGridApi, SendGridDnsRecord, SendGridDomain } from "./api";

export const SENDGRID_API_BASE = "https://api.sendgrid.com";
/** For EU regional subusers (sendgrid.md, "Base URL"). */
export const SENDGRID_EU_API_BASE = "https://api.eu.sendgrid.com";
export const SENDGRID_DOMAINS_PATH = "/v3/whitelabel/domains";
export const SENDGRID_VALIDATE_PATH = "/v3/whitelabel/domains/{id}/validate";
export const SENDGRID_SCOPES_PATH = "/v3/scopes";

export interface SendGridApiOptions {
  apiKey: string;
  /** Sent as `on-behalf-of` when a parent key acts for a subuser. */
  onBehalfOf?: string;
  apiBase?: string;
}

const DnsRecord = z.object({
  valid: z.boolean(),
  type: z.string().min(1),
  host: z.string().min(1),
  data: z.string().min(1),
});
// `dns` is a map whose keys depend on automatic vs manual security; every value has the same record shape.
const Domain = z.object({
  id: z.number().int(),
  domain: z.string(),
  subdomain: z.string().nullish(),
  valid: z.boolean(),
  dns: z.record(z.string(), DnsRecord),
});
type Domain = z.infer<typeof Domain>;
const Validation = z.object({
  id: z.number().int(),
  valid: z.boolean(),
  validation_results: z.record(z.string(), z.object({ valid: z.boolean(), reason: z.string().nullish() })).default({}),
});
const Scopes = z.object({ scopes: z.array(z.string()) });

const PAGE_SIZE = 50;
// The `domain=` filter already narrows the list to a handful; the bound only stops a misbehaving offset from looping.
const MAX_PAGES = 10;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Builds the SendGrid adapter; every method is one or a few REST calls through providerRequest. */
export function createSendGridApi(ctx: ProviderContext, opts: SendGridApiOptions): SendGridApi {
  if (!opts.apiKey || /\s/.test(opts.apiKey))
    throw new Error("SendGrid apiKey is required and may not contain whitespace");
  resolveTransportOptions(ctx);
  const apiBase = (opts.apiBase ?? SENDGRID_API_BASE).replace(/\/+$/, "");
  const callCtx: ProviderContext = { ...ctx, fetch: withRateLimitReset(ctx.fetch) };
  const auth: Record<string, string> = { Authorization: `Bearer ${opts.apiKey}`, Accept: "application/json" };
  if (opts.onBehalfOf) auth["on-behalf-of"] = opts.onBehalfOf;

  function call<T>(
    method: "GET" | "POST",
    template: string,
    c: {
      kind: RequestKind;
      path?: string;
      query?: Record<string, string>;
      json?: unknown;
      schema: z.ZodType<T>;
      ids?: (value: T) => Record<string, string>;
    },
  ): Promise<T> {
    const query = new URLSearchParams(c.query).toString();
    return providerRequest(callCtx, "sendgrid", {
      operation: `${method} ${template}`,
      kind: c.kind,
      method,
      url: `${apiBase}${c.path ?? template}${query ? `?${query}` : ""}`,
      headers: c.json === undefined ? auth : { ...auth, "Content-Type": "application/json" },
      body: c.json === undefined ? undefined : JSON.stringify(c.json),
      read: (response) => parseJsonBody("sendgrid", response, c.schema),
      responseIds: c.ids,
    });
  }

  async function findDomain(domain: string, subdomain: string | undefined): Promise<Domain | undefined> {
    const matches: Domain[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = { domain, limit: String(PAGE_SIZE), offset: String(page * PAGE_SIZE) };
      const list = await call("GET", SENDGRID_DOMAINS_PATH, { kind: "idempotent", query, schema: z.array(Domain) });
      // `domain=` is a search, not an equality filter: keep only exact matches (DNS names are case-insensitive).
      matches.push(
        ...list.filter(
          (d) =>
            d.domain.toLowerCase() === domain && (subdomain === undefined || d.subdomain?.toLowerCase() === subdomain),
        ),
      );
      if (list.length < PAGE_SIZE) break;
    }
    return matches.find((d) => d.valid) ?? matches[0];
  }

  const domainIds = (d: Domain) => ({ domainId: String(d.id) });

  return {
    async verify() {
      return { scopes: (await call("GET", SENDGRID_SCOPES_PATH, { kind: "idempotent", schema: Scopes })).scopes };
    },

    async ensureSenderDomain(rawDomain, rawSubdomain) {
      const domain = rawDomain.toLowerCase().replace(/\.$/, "");
      const subdomain = rawSubdomain?.toLowerCase();
      if (!HOSTNAME.test(domain)) throw new Error(`not a domain name: ${rawDomain}`);
      if (subdomain !== undefined && !LABEL.test(subdomain))
        throw new Error(`SendGrid subdomain must be one DNS label: ${rawSubdomain}`);
      const existing = await findDomain(domain, subdomain);
      if (existing) return view(existing, false);
      const created = await call("POST", SENDGRID_DOMAINS_PATH, {
        // A create with no idempotency key: http.ts re-sends it only after a 429; an ambiguous failure is
        // settled by calling ensure again, whose list then finds the domain if it was made.
        kind: "write",
        json: { domain, ...(subdomain === undefined ? {} : { subdomain }), automatic_security: true },
        schema: Domain,
        ids: domainIds,
      });
      return view(created, true);
    },

    async validateDomain(id) {
      if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`invalid SendGrid domain id: ${id}`);
      const result = await call("POST", SENDGRID_VALIDATE_PATH, {
        // A POST, but it only makes SendGrid look the records up again, so a re-send is harmless.
        kind: "idempotent",
        path: SENDGRID_VALIDATE_PATH.replace("{id}", String(id)),
        schema: Validation,
        ids: (v) => ({ domainId: String(v.id) }),
      });
      const checks = Object.entries(result.validation_results).map(([name, r]) => ({
        name,
        valid: r.valid,
        reason: r.reason ?? null,
      }));
      return { id: result.id, valid: result.valid, checks };
    },
  };
}

function view(d: Domain, created: boolean): SendGridDomain {
  const dns: SendGridDnsRecord[] = Object.entries(d.dns).map(([name, r]) => ({
    name,
    type: r.type.toUpperCase(),
    host: r.host,
    data: r.data,
    valid: r.valid,
  }));
  return { id: d.id, domain: d.domain, subdomain: d.subdomain ?? null, valid: d.valid, created, dns };
}

/**
 * SendGrid's 429 carries `X-RateLimit-Reset` (Unix seconds) instead of Retry-After; restating it as
 * Retry-After lets http.ts wait exactly that long inline, or hand the delay back when it is too long.
 */
function withRateLimitReset(send: typeof fetch): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const response = await send(input, init);
    const reset = Number(response.headers.get("X-RateLimit-Reset"));
    if (response.status !== 429 || response.headers.has("Retry-After") || !Number.isFinite(reset) || reset <= 0)
      return response;
    const headers = new Headers(response.headers);
    headers.set("Retry-After", String(Math.max(0, Math.ceil(reset - Date.now() / 1000))));
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

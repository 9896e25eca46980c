/**
 * SendGrid's v3 Web API subset over the world (providers/sendgrid.md): Bearer auth, `GET /v3/scopes`,
 * verified single senders, and domain authentication whose validation looks the CNAMEs up in the
 * sandbox's own Cloudflare zones — so it passes only once they were really published there.
 */
import { z } from "zod";
import { listResources } from "../cloudflare/store";
import { json } from "../http";
import { recordToken } from "../tokens";
import type { World } from "../world/store";
import {
  getDomain,
  insertDomain,
  insertSender,
  listDomains,
  listSenders,
  saveDomain,
  type SendGridDomain,
} from "./store";

export const SENDGRID_HOSTS = new Set(["api.sendgrid.com", "api.eu.sendgrid.com"]);
// SendGrid API keys are `SG.<id>.<secret>`; the sandbox accepts any of that shape.
const KEY = /^SG\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]+)?$/;
const SCOPES = [
  "mail.send",
  "sender_verification_eligible",
  "whitelabel.create",
  "whitelabel.read",
  "whitelabel.update",
  "whitelabel.delete",
  "scopes.read",
];
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

// Every SendGrid answer carries its rate-limit window (sendgrid.md); the sandbox never spends it.
function rateLimitHeaders(): Record<string, string> {
  return {
    "x-ratelimit-limit": "600",
    "x-ratelimit-remaining": "599",
    "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 60),
  };
}

/** SendGrid's error body (schema ErrorResponse). */
export function sendgridError(status: number, message: string, field: string | null = null): Response {
  return json(status, { errors: [{ field, message }] });
}

const DomainCreate = z.object({
  domain: z.string().min(1),
  subdomain: z.string().optional(),
  automatic_security: z.boolean().optional(),
  custom_spf: z.boolean().optional(),
  default: z.boolean().optional(),
});

const SenderCreate = z.object({
  nickname: z.string().min(1).max(100),
  from_email: z.email().max(256),
  from_name: z.string().max(256).optional(),
  reply_to: z.email().max(256),
  reply_to_name: z.string().max(256).optional(),
  address: z.string().max(100).optional(),
  address2: z.string().max(100).optional(),
  state: z.string().max(2).optional(),
  city: z.string().max(150).optional(),
  country: z.string().max(100).optional(),
  zip: z.string().max(10).optional(),
});

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function issueResponse(error: z.ZodError): Response {
  return json(400, { errors: error.issues.map((i) => ({ field: i.path.join(".") || null, message: i.message })) });
}

function createDomain(world: World, text: string): Response {
  const parsed = DomainCreate.safeParse(parseBody(text));
  if (!parsed.success) return issueResponse(parsed.error);
  const domain = parsed.data.domain.toLowerCase().replace(/\.$/, "");
  const subdomain = parsed.data.subdomain?.toLowerCase();
  if (!HOSTNAME.test(domain)) return sendgridError(400, "invalid domain", "domain");
  if (subdomain !== undefined && !LABEL.test(subdomain)) return sendgridError(400, "invalid subdomain", "subdomain");
  if (parsed.data.automatic_security === false)
    return sendgridError(
      400,
      "the sandbox only simulates automatic security (three CNAME records)",
      "automatic_security",
    );
  if (subdomain !== undefined && listDomains(world).some((d) => d.domain === domain && d.subdomain === subdomain)) {
    return sendgridError(400, "A domain authentication with this domain and subdomain already exists", "domain");
  }
  return json(201, insertDomain(world, domain, subdomain, parsed.data.default ?? false));
}

/** Looks each CNAME up in every sandbox Cloudflare zone, as SendGrid's resolver would see it. */
function validate(world: World, domain: SendGridDomain): Response {
  const published = listResources(world, "dns_record").map((r) => r.settings);
  const results: Record<string, { valid: boolean; reason: string | null }> = {};
  const dns = { ...domain.dns };
  for (const [name, rec] of Object.entries(domain.dns) as [
    keyof SendGridDomain["dns"],
    SendGridDomain["dns"]["dkim1"],
  ][]) {
    const found = published.filter((r) => r.name.toLowerCase().replace(/\.$/, "") === rec.host && r.type === "CNAME");
    const valid = found.some((r) => r.content.toLowerCase().replace(/\.$/, "") === rec.data);
    results[name] = {
      valid,
      reason: valid
        ? null
        : found.length
          ? `Expected CNAME for "${rec.host}" to match "${rec.data}", found "${found[0].content}".`
          : `Expected CNAME for "${rec.host}" to match "${rec.data}".`,
    };
    dns[name] = { ...rec, valid };
  }
  const valid = Object.values(results).every((r) => r.valid);
  saveDomain(world, { ...domain, dns, valid });
  return json(200, { id: domain.id, valid, validation_results: results });
}

function listDomainPage(world: World, url: URL): Response {
  const q = url.searchParams;
  const limit = Math.min(Math.max(Number(q.get("limit") ?? 50) || 50, 1), 200);
  const offset = Math.max(Number(q.get("offset") ?? 0) || 0, 0);
  const search = q.get("domain")?.toLowerCase();
  // Like SendGrid's, `domain=` is a search: names that merely contain it match too.
  const hits = listDomains(world).filter((d) => !search || d.domain.includes(search));
  return json(200, hits.slice(offset, offset + limit));
}

function createSender(world: World, text: string): Response {
  const parsed = SenderCreate.safeParse(parseBody(text));
  if (!parsed.success) return issueResponse(parsed.error);
  const f = parsed.data;
  if (listSenders(world).some((s) => s.from_email.toLowerCase() === f.from_email.toLowerCase()))
    return sendgridError(400, "already exists", "from_email");
  const sender = insertSender(world, {
    nickname: f.nickname,
    from_email: f.from_email,
    from_name: f.from_name ?? "",
    reply_to: f.reply_to,
    reply_to_name: f.reply_to_name ?? "",
    address: f.address ?? "",
    address2: f.address2 ?? "",
    state: f.state ?? "",
    city: f.city ?? "",
    country: f.country ?? "",
    zip: f.zip ?? "",
    // A verification email goes out; nobody clicks it in the sandbox, so only an authenticated domain verifies it.
    verified: false,
  });
  return json(201, listSenders(world).find((s) => s.id === sender.id) ?? sender);
}

/** Answers one SendGrid API request synchronously. */
export function handleSendGrid(world: World, request: Request, text: string): Response {
  const response = answer(world, request, text);
  for (const [name, value] of Object.entries(rateLimitHeaders())) response.headers.set(name, value);
  return response;
}

function answer(world: World, request: Request, text: string): Response {
  const url = new URL(request.url);
  const key = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  if (!key || !KEY.test(key))
    return sendgridError(401, "The provided authorization grant is invalid, expired, or revoked");
  recordToken(world, "sendgrid", key);
  const { method } = request;
  const path = url.pathname.replace(/\/+$/, "");
  if (path === "/v3/scopes" && method === "GET") return json(200, { scopes: SCOPES });
  if (path === "/v3/whitelabel/domains") {
    if (method === "GET") return listDomainPage(world, url);
    if (method === "POST") return createDomain(world, text);
  }
  const validateMatch = /^\/v3\/whitelabel\/domains\/(\d+)\/validate$/.exec(path);
  const itemMatch = /^\/v3\/whitelabel\/domains\/(\d+)$/.exec(path);
  if ((validateMatch && method === "POST") || (itemMatch && method === "GET")) {
    const domain = getDomain(world, Number((validateMatch ?? itemMatch)![1]));
    if (!domain) return sendgridError(404, "resource not found");
    return validateMatch ? validate(world, domain) : json(200, domain);
  }
  if (path === "/v3/verified_senders") {
    if (method === "GET") return json(200, { results: listSenders(world) });
    if (method === "POST") return createSender(world, text);
  }
  if (path === "/v3/verified_senders/steps_completed" && method === "GET") {
    return json(200, {
      results: {
        sender_verified: listSenders(world).some((s) => s.verified),
        domain_verified: listDomains(world).some((d) => d.valid),
      },
    });
  }
  return sendgridError(404, "resource not found");
}

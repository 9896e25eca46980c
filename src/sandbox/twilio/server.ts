/**
 * Twilio Programmable Messaging over the world (providers/twilio.md): HTTP Basic auth, form-encoded
 * create (with StatusCallback: twilio/callbacks.ts), list and fetch of Message resources, and Twilio's
 * JSON error body.
 */
import { json } from "../http";
import { recordToken } from "../tokens";
import type { World } from "../world/store";
import { takeDeliveryFault } from "../faults";
import { planCallbacks } from "./callbacks";
import { getMessage, listMessages, messageView, recordMessage, type MessageRow } from "./outbox";

export const TWILIO_HOST = "api.twilio.com";
const COLLECTION = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const ITEM = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/;
const E164 = /^\+[1-9]\d{1,14}$/;
const MAX_BODY = 1600;

const TWILIO_JSON = { "content-type": "application/json; charset=utf-8" };

/** Twilio's error body (the fields twilio-node's RestException reads). */
export function twilioError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return json(
    status,
    { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
    { ...TWILIO_JSON, ...headers },
  );
}

// Username is an Account SID (which must be the one in the path) or an API Key SID; any non-empty secret passes.
function authenticate(headers: Headers, accountSid: string): { username: string; secret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(headers.get("authorization") ?? "");
  if (!match) return null;
  let decoded: string;
  try {
    decoded = atob(match[1]);
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  const [username, secret] = colon < 0 ? [decoded, ""] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
  if (secret === "") return null;
  if (username.startsWith("AC")) return username === accountSid ? { username, secret } : null;
  return username.startsWith("SK") ? { username, secret } : null;
}

/** Validates a create form; returns the row to store or Twilio's 400. */
function parseCreate(
  form: URLSearchParams,
  accountSid: string,
): Omit<MessageRow, "sid" | "seq" | "created_at"> | Response {
  const to = form.get("To")?.trim() ?? "";
  const from = form.get("From")?.trim() || null;
  const service = form.get("MessagingServiceSid")?.trim() || null;
  const body = form.get("Body") ?? "";
  const media = form.getAll("MediaUrl").filter((u) => u !== "");
  if (to === "") return twilioError(400, 21604, "A 'To' phone number is required.");
  const address = to.replace(/^(whatsapp|sms|messenger):/, "");
  if (!E164.test(address)) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
  if (!from && !service) return twilioError(400, 21603, "A 'From' phone number is required.");
  if (service && !/^MG[0-9a-fA-F]{32}$/.test(service))
    return twilioError(400, 21701, `The Messaging Service Sid ${service} is invalid.`);
  if (from && from === to) return twilioError(400, 21266, "'To' and 'From' number cannot be the same.");
  const callback = form.get("StatusCallback");
  if (callback !== null && !/^https?:\/\/[^/\s]+/i.test(callback))
    return twilioError(400, 21609, `The StatusCallback URL ${callback} is not a valid URL.`);
  if (body === "" && media.length === 0 && !form.get("ContentSid"))
    return twilioError(400, 21602, "Message body is required.");
  if ([...body].length > MAX_BODY)
    return twilioError(400, 21617, "The concatenated message body exceeds the 1600 character limit.");
  return {
    account_sid: accountSid,
    to_number: to,
    from_number: from,
    messaging_service_sid: service,
    body,
    num_media: media.length,
  };
}

// Page numbers are 0-based; the URIs carry the same filters so a client can follow next_page_uri.
function listPage(world: World, accountSid: string, url: URL) {
  const q = url.searchParams;
  const sentOn = q.get("DateSent");
  const before = q.get("DateSent<");
  const after = q.get("DateSent>");
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const rows = listMessages(world, accountSid).filter(
    (m) =>
      (!q.get("To") || m.to_number === q.get("To")) &&
      (!q.get("From") || m.from_number === q.get("From")) &&
      (!sentOn || day(m.created_at) === sentOn) &&
      (!before || day(m.created_at) <= before) &&
      (!after || day(m.created_at) >= after),
  );
  const size = Math.min(Math.max(Number(q.get("PageSize") ?? 50) || 50, 1), 1000);
  const page = Math.max(0, Math.floor(Number(q.get("Page") ?? 0) || 0));
  const slice = rows.slice(page * size, (page + 1) * size);
  const uriFor = (p: number) => {
    const next = new URLSearchParams(q);
    next.set("PageSize", String(size));
    next.set("Page", String(p));
    return `${url.pathname}?${next.toString()}`;
  };
  return {
    messages: slice.map((m) => messageView(world, m)),
    page,
    page_size: size,
    start: page * size,
    end: page * size + Math.max(slice.length - 1, 0),
    uri: uriFor(page),
    first_page_uri: uriFor(0),
    next_page_uri: (page + 1) * size < rows.length ? uriFor(page + 1) : null,
    previous_page_uri: page > 0 ? uriFor(page - 1) : null,
  };
}

/** Answers one Twilio API request synchronously. */
export function handleTwilio(world: World, request: Request, text: string): Response {
  const url = new URL(request.url);
  const collection = COLLECTION.exec(url.pathname);
  const item = ITEM.exec(url.pathname);
  const notFound = () => twilioError(404, 20404, `The requested resource ${url.pathname} was not found`);
  if (!collection && !item) return notFound();
  const accountSid = decodeURIComponent((collection ?? item ?? [])[1] ?? "");
  const credentials = authenticate(request.headers, accountSid);
  if (!credentials) {
    return twilioError(401, 20003, "Authentication Error - invalid username", {
      "www-authenticate": 'Basic realm="Twilio API"',
    });
  }
  recordToken(world, "twilio", `${credentials.username}:${credentials.secret}`);
  if (collection && request.method === "POST") {
    const form = new URLSearchParams(text);
    const parsed = parseCreate(form, accountSid);
    if (parsed instanceof Response) return parsed;
    // Accepted either way; a delivery fault decides now how the text ends (queued first, as always).
    const message = recordMessage(world, parsed, takeDeliveryFault(world) ?? undefined);
    const callback = form.get("StatusCallback");
    if (callback) planCallbacks(world, message, callback);
    return json(201, messageView(world, message, true), TWILIO_JSON);
  }
  if (collection && request.method === "GET") return json(200, listPage(world, accountSid, url), TWILIO_JSON);
  if (item && request.method === "GET") {
    const message = getMessage(world, accountSid, decodeURIComponent(item[2]));
    return message ? json(200, messageView(world, message), TWILIO_JSON) : notFound();
  }
  return twilioError(405, 20004, "Method not allowed");
}

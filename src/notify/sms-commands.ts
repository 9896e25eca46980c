/** The SMS reply grammar (API.md "Webhooks") and the TwiML that answers it; pure, no I/O. */

export type SmsCommand =
  | { kind: "approve" | "reject" | "ack"; code: string }
  | { kind: "rollback" | "status"; env: string }
  | { kind: "unknown" };

// Approval codes are 6 digits today (policy/approval.ts); 4–8 leaves room without accepting a phone number.
const CODE = /^\d{4,8}$/;
// An environment name, or `<projectSlug>:<envName>` (API.md conventions).
const ENV = /^(?:[a-z0-9][a-z0-9-]*:)?[a-z0-9][a-z0-9_-]*$/;
const UNKNOWN: SmsCommand = { kind: "unknown" };

/** Reads one SMS reply: `YES|NO|ACK <code>` or `ROLLBACK|STATUS <env name>`; anything else is `unknown`. */
export function parseSmsCommand(body: string): SmsCommand {
  // Phones capitalise, pad with spaces, add a closing "." or "!", and some keyboards type full-width
  // digits (NFKC folds them, and "…" into "..."); none of that changes what the person meant.
  const text = body
    .normalize("NFKC")
    .trim()
    .replace(/[\s.!?,;:]+$/u, "")
    .toLowerCase();
  const match = /^([a-z]+)[\s,:]+(\S+)$/u.exec(text);
  if (!match) return UNKNOWN;
  const [, verb, arg] = match;
  switch (verb) {
    case "yes":
      return withCode("approve", arg);
    case "no":
      return withCode("reject", arg);
    case "ack":
      return withCode("ack", arg);
    case "rollback":
    case "status":
      return ENV.test(arg) ? { kind: verb, env: arg } : UNKNOWN;
    default:
      return UNKNOWN;
  }
}

function withCode(kind: "approve" | "reject" | "ack", code: string): SmsCommand {
  return CODE.test(code) ? { kind, code } : UNKNOWN;
}

/** A TwiML answer: one `<Message>` carrying `message` XML-escaped, or an empty `<Response/>` (no SMS back). */
export function twiml(message?: string): string {
  const declaration = '<?xml version="1.0" encoding="UTF-8"?>';
  if (!message?.trim()) return `${declaration}<Response/>`;
  return `${declaration}<Response><Message>${escapeXml(message)}</Message></Response>`;
}

const XML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/**
 * Escapes markup and drops code points XML 1.0 forbids (control characters, lone surrogates, U+FFFE/F):
 * one of those in an echoed env name would make Twilio's parser reject the whole reply.
 */
function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/[&<>"']/g, (c) => XML_ENTITIES[c]);
}

/**
 * Stripe webhook signatures (providers/stripe.md, "Stripe-Signature verification"):
 * `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]`, where each v1 is
 * lowercase hex HMAC-SHA256(key = endpoint secret as UTF-8, message = `${t}.${raw body}`).
 * WebCrypto only, so the same code runs in workerd, in Node tests and in the sandbox's signer.
 */
import { constantTimeEqual, utf8 } from "./bytes";

/** Stripe's official libraries default to 5 minutes (stripe-node `DEFAULT_TOLERANCE`). */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

/** Why a delivery was refused; the route logs it and answers 400 without echoing it to the caller. */
export type StripeSignatureFailure =
  | "missing_header"
  | "malformed_header"
  | "no_valid_signature"
  | "timestamp_out_of_tolerance";

export type StripeSignatureResult = { ok: true; timestamp: number } | { ok: false; reason: StripeSignatureFailure };

/** The parts of a Stripe-Signature header this verifier uses: the signing time and every v1 candidate. */
export interface StripeSignatureHeader {
  timestamp: number;
  /** More than one while a secret is being rolled (Stripe signs with the old and the new). */
  v1: string[];
}

/** Lowercase hex HMAC-SHA256 of `${timestamp}.${payload}` keyed by the endpoint secret (the v1 scheme). */
export async function computeStripeSignature(secret: string, payload: string, timestamp: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(`${timestamp}.${payload}`)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The Stripe-Signature header Stripe would send for this body at `timestamp` (for tests and the sandbox). */
export async function computeStripeSignatureHeader(
  secret: string,
  payload: string,
  timestamp: number,
): Promise<string> {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new RangeError("Stripe signature timestamp must be whole Unix seconds");
  return `t=${timestamp},v1=${await computeStripeSignature(secret, payload, timestamp)}`;
}

/**
 * Splits the header on `,` and each element on its first `=`. Unknown schemes (v0, future ones) are ignored,
 * as stripe-node does. Stricter than stripe-node's `parseInt` in one way: `t` must be exactly one run of
 * digits, so `t=12abc` or two different `t` elements are malformed rather than silently reinterpreted.
 */
export function parseStripeSignatureHeader(header: string): StripeSignatureHeader | null {
  let timestamp: number | undefined;
  const v1: string[] = [];
  for (const element of header.split(",")) {
    const at = element.indexOf("=");
    if (at <= 0) return null;
    // Surrounding blanks are tolerated (a proxy may fold the header); they never change what was signed.
    const scheme = element.slice(0, at).trim();
    const value = element.slice(at + 1).trim();
    if (scheme === "t") {
      if (!/^\d{1,15}$/.test(value) || (timestamp !== undefined && timestamp !== Number(value))) return null;
      timestamp = Number(value);
    } else if (scheme === "v1") {
      v1.push(value);
    }
  }
  return timestamp === undefined ? null : { timestamp, v1 };
}

/**
 * Whether `header` is Stripe's signature of exactly this raw body, signed within `toleranceSeconds` of
 * `nowSeconds` (either side: a timestamp far in the future is as suspect as a stale one). The signature is
 * checked before the age, as in stripe-node, so "out of tolerance" only ever describes an authentic but
 * replayed or delayed delivery. An empty secret verifies nothing (fail closed). Event-id dedupe is the
 * route's job: a valid delivery may legitimately arrive more than once.
 */
export async function verifyStripeSignature(
  secret: string,
  payload: string,
  header: string | null,
  nowSeconds: number,
  toleranceSeconds: number = STRIPE_SIGNATURE_TOLERANCE_SECONDS,
): Promise<StripeSignatureResult> {
  // No "skip the age check" value: stripe-node's lower-level helper does that when no tolerance is passed.
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0)
    throw new RangeError("Stripe signature tolerance must be >= 0 seconds");
  if (!Number.isFinite(nowSeconds)) throw new RangeError("nowSeconds must be a finite number");
  if (header === null || header.trim() === "") return { ok: false, reason: "missing_header" };
  const parsed = parseStripeSignatureHeader(header);
  if (!parsed) return { ok: false, reason: "malformed_header" };
  if (!secret || parsed.v1.length === 0) return { ok: false, reason: "no_valid_signature" };
  const expected = utf8(await computeStripeSignature(secret, payload, parsed.timestamp));
  let matched = false;
  // Every candidate is compared in full, so timing says neither which one matched nor how close a forgery came.
  for (const candidate of parsed.v1) matched = constantTimeEqual(utf8(candidate), expected) || matched;
  if (!matched) return { ok: false, reason: "no_valid_signature" };
  if (Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds)
    return { ok: false, reason: "timestamp_out_of_tolerance" };
  return { ok: true, timestamp: parsed.timestamp };
}

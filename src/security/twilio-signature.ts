/**
 * Twilio webhook signatures (providers/twilio.md, "X-Twilio-Signature — exact algorithm"):
 * Base64(HMAC-SHA1(key = Auth Token, data = URL + each POST parameter's name·value, sorted)).
 * WebCrypto only, so the same code runs in workerd, in Node tests and in the sandbox's signer.
 */
import { encodeBase64 } from "./base64";
import { constantTimeEqual, utf8 } from "./bytes";

/** Form parameters as received: an object, or [name, value] pairs when a name may repeat. */
export type TwilioParams = Record<string, string> | [string, string][];

/** The X-Twilio-Signature Twilio sends for `url` and these POST parameters (pass `{}` for GET and JSON bodies). */
export async function computeTwilioSignature(authToken: string, url: string, params: TwilioParams): Promise<string> {
  const key = await crypto.subtle.importKey("raw", utf8(authToken), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  return encodeBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(signedString(url, params)))));
}

/**
 * Whether `signatureHeader` is Twilio's signature of this request. `url` is the public URL Twilio called
 * (rebuilt from the configured base behind a proxy); it is also tried without its port and with the
 * default port added, because Twilio signs either form and twilio-node's validateRequest accepts both.
 */
export async function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: TwilioParams,
  signatureHeader: string | null | undefined,
): Promise<boolean> {
  if (!authToken || !signatureHeader) return false;
  const received = utf8(signatureHeader.trim());
  let valid = false;
  for (const candidate of urlVariants(url)) {
    const expected = utf8(await computeTwilioSignature(authToken, candidate, params));
    // Every variant is compared, in constant time, so timing tells nothing about how close a forgery came.
    valid = constantTimeEqual(received, expected) || valid;
  }
  return valid;
}

/**
 * For JSON-body webhooks: whether SHA-256(raw body) equals the `bodySHA256` query parameter, which Twilio
 * put in the URL it signed. Check it together with verifyTwilioSignature(authToken, url, {}, header).
 */
export async function verifyTwilioBodyHash(url: string, rawBody: string): Promise<boolean> {
  let claimed: string | null;
  try {
    claimed = new URL(url).searchParams.get("bodySHA256");
  } catch {
    return false;
  }
  if (!claimed) return false;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(rawBody)));
  const actual = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  return constantTimeEqual(utf8(claimed.toLowerCase()), utf8(actual));
}

/**
 * URL, then name+value per parameter: names in JavaScript's default sort order (twilio-node sorts the
 * keys that way), and a repeated name contributes each distinct value once, values sorted.
 */
function signedString(url: string, params: TwilioParams): string {
  // Linear in the number of parameters (plus the sorts): an unsigned POST repeating one name 60,000
  // times once made this quadratic, copying the value list on every append.
  const values = new Map<string, Set<string>>();
  for (const [name, value] of Array.isArray(params) ? params : Object.entries(params)) {
    const seen = values.get(name);
    if (seen) seen.add(value);
    else values.set(name, new Set([value]));
  }
  const parts = [url];
  for (const name of [...values.keys()].sort()) {
    for (const value of [...(values.get(name) ?? [])].sort()) parts.push(name, value);
  }
  return parts.join("");
}

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };

/**
 * The URL as given, without its port, and with its scheme's default port (when it has none or that one).
 * twilio-node's validateRequest tries the same forms: Twilio signs with or without the port, and the library
 * strips even a non-default one. String surgery, not `new URL`: WHATWG serialisation would also drop
 * `:443` and re-escape the query, changing the bytes that were signed.
 */
function urlVariants(url: string): string[] {
  const match = /^([a-z][a-z0-9+.-]*:)\/\/([^/?#]*)(.*)$/i.exec(url);
  const defaultPort = match && DEFAULT_PORTS[match[1].toLowerCase()];
  if (!match || !defaultPort) return [url];
  const [, scheme, authority, rest] = match;
  const userinfoEnd = authority.lastIndexOf("@") + 1;
  const hostPort = authority.slice(userinfoEnd);
  // Brackets keep an IPv6 literal's colons out of this match: "[::1]" has no port, "[::1]:443" has one.
  const port = /:(\d*)$/.exec(hostPort);
  const origin = `${scheme}//${authority.slice(0, userinfoEnd)}${port ? hostPort.slice(0, port.index) : hostPort}`;
  const variants = [url, `${origin}${rest}`];
  if (!port || port[1] === "" || port[1] === defaultPort) variants.push(`${origin}:${defaultPort}${rest}`);
  return [...new Set(variants)];
}

/**
 * API tokens: shown once, stored only as a SHA-256 hash. The tokens carry 256 random bits, so a fast
 * unsalted hash is enough (no password-style KDF needed) and lookups stay a single indexed read.
 */
import { encodeBase64Url } from "./base64";

const TOKEN_PREFIX = "ic_";
const TOKEN_BYTES = 32;
/** ic_ + unpadded base64url of 32 bytes (43 characters). */
const TOKEN_SHAPE = /^ic_[A-Za-z0-9_-]{43}$/;

/** A new random API token, e.g. "ic_3q2-…" (the prefix makes leaked tokens easy to scan for). */
export function generateToken(): string {
  return TOKEN_PREFIX + encodeBase64Url(crypto.getRandomValues(new Uint8Array(TOKEN_BYTES)));
}

/** Whether a string has the shape of a token from generateToken (cheap pre-check before hashing). */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}

/** Lowercase hex SHA-256 of the token, the only form that is stored. */
export async function hashToken(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/**
 * Compares two hex strings in time independent of where they differ (case-insensitive).
 * Different lengths or non-hex input return false at once: lengths of hashes are public anyway.
 */
export function timingSafeEqualHex(a: string, b: string): boolean {
  if (a.length !== b.length || !/^[0-9a-fA-F]*$/.test(a) || !/^[0-9a-fA-F]*$/.test(b)) return false;
  let diff = 0;
  // 0x20 folds ASCII case; only applied to letters so digits keep their distinct codes.
  for (let i = 0; i < a.length; i++) diff |= fold(a.charCodeAt(i)) ^ fold(b.charCodeAt(i));
  return diff === 0;
}

function fold(code: number): number {
  return code >= 0x41 && code <= 0x46 ? code | 0x20 : code;
}

import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

const encoder = new TextEncoder();

/**
 * SHA-256 hex of a string. Synchronous inside (noble's audited SHA-256): WebCrypto's digest costs an async
 * round trip per call, which made verifying a 100k-event audit chain take seconds (npm run bench).
 */
export async function sha256Hex(text: string): Promise<string> {
  return sha256HexSync(text);
}

export function sha256HexSync(text: string): string {
  return bytesToHex(sha256(encoder.encode(text)));
}

/** JSON with object keys sorted and undefined dropped, so equal values always serialize (and hash) the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

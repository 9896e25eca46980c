/** Byte ⇄ base64 codecs on atob/btoa, because Uint8Array.fromBase64 is not in every runtime we test on. */

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64 of bytes. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  // Chunked so very large inputs don't exceed the argument limit of String.fromCharCode.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Unpadded base64url of bytes (RFC 4648 §5), safe in URLs and headers. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Bytes of a padded standard base64 string, or null when it is not exactly that (atob alone is lenient). */
export function decodeBase64(text: string): Uint8Array | null {
  if (!STRICT_BASE64.test(text)) return null;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

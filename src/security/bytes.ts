/** Byte helpers shared by the signature and token checks. */

/** Compares two byte strings in time that depends only on their lengths, never on where they differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  // TextEncoder always allocates a plain ArrayBuffer; Node's typings only say ArrayBufferLike.
  return new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
}

/** A random, URL-safe id with a readable prefix (e.g. run_4kq9…). */
export function newId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let out = "";
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${out}`;
}

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

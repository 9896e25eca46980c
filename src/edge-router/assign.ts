/**
 * Sticky assignment: a client is hashed, with the step's salt, to a point in [0, 1); it goes to the canary
 * when the point is below the weight. The same client keeps the same point for a whole step (its cookie, or
 * its Authorization header for API clients without a cookie jar); a new salt draws afresh.
 */

/** FNV-1a over the UTF-16 code units, then murmur3's finalizer, so nearby ids land far apart. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** True when the client belongs to the canary at this weight (0–100) under this salt. */
export function inCanary(clientKey: string, salt: string, weight: number): boolean {
  return hash32(`${salt}\n${clientKey}`) / 4294967296 < weight / 100;
}

const ID = /^[A-Za-z0-9_-]{16,64}$/;

/** Who the client is: its cookie id, else its Authorization header, else a fresh id to set as a cookie. */
export function clientOf(request: Request, cookie: string): { key: string; newId?: string } {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === cookie) {
      const id = part.slice(at + 1).trim();
      if (ID.test(id)) return { key: `c:${id}` };
    }
  }
  const auth = request.headers.get("authorization");
  if (auth) return { key: `a:${auth}` };
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const id = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { key: `c:${id}`, newId: id };
}

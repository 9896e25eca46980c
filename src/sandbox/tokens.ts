/** Which credentials the sandbox saw: recorded by fingerprint only, because the sandbox accepts any and must store none. */
import type { World } from "./world/store";

/** FNV-1a: a stable fingerprint so the world can say which tokens it saw without storing one. */
export function fingerprint(token: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193) >>> 0;
  return `${hash.toString(16).padStart(8, "0")}/${token.length}`;
}

/** Counts one use of a credential of `kind` (e.g. "bearer", "cloudflare", "twilio"). */
export function recordToken(world: World, kind: string, token: string): void {
  const now = world.now();
  world.run(
    `INSERT INTO tokens VALUES (?, ?, ?, ?, 1)
     ON CONFLICT(fingerprint) DO UPDATE SET last_seen = excluded.last_seen, uses = uses + 1`,
    fingerprint(token),
    kind,
    now,
    now,
  );
}

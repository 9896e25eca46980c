import { z } from "zod";
import { canonicalJson, sha256Hex } from "../domain/hash";
import type { Keyring } from "../domain/keyring";

export { canonicalJson, sha256Hex };

/** What a caller says happened; the chain adds id, sequence, time and hashes. */
export const AuditInput = z.object({
  actor: z.string(),
  action: z.string(),
  intent: z.string().optional(),
  planId: z.string().optional(),
  runId: z.string().optional(),
  diffSummary: z.string().optional(),
  receiptHash: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AuditInput = z.infer<typeof AuditInput>;

export interface AuditEvent extends AuditInput {
  id: string;
  chain: string;
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
  /**
   * The AUDIT_KEY id whose HMAC is `hash`. Absent on events written before the chain was keyed: their
   * `hash` is the plain SHA-256 they were sealed with, and they keep verifying as they are (the table is
   * append-only, so rewriting them to migrate would itself be the tampering this log exists to show).
   */
  keyId?: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export const GENESIS_HASH = "0".repeat(64);

/**
 * The fields an event's hash covers, in canonical (sorted) key order. `keyId` is covered only when present,
 * so events sealed before keying serialize exactly as they were hashed.
 */
const HASHED_FIELDS = [
  "action",
  "actor",
  "at",
  "chain",
  "details",
  "diffSummary",
  "id",
  "intent",
  "keyId",
  "planId",
  "prevHash",
  "receiptHash",
  "runId",
  "seq",
] as const;

/**
 * The canonical JSON of everything an event says, including the previous event's hash: exactly
 * `canonicalJson` of those fields (absent ones as null), written with the key order known up front so a
 * 100k-event verification doesn't sort keys 1.3 million times.
 */
export function eventCanonicalJson(e: Omit<AuditEvent, "hash">): string {
  let out = "{";
  for (const key of HASHED_FIELDS) {
    if (key === "keyId" && e.keyId === undefined) continue;
    const value = (e as Record<string, unknown>)[key] ?? null;
    out += `${out.length > 1 ? "," : ""}"${key}":${key === "details" ? canonicalJson(value) : JSON.stringify(value)}`;
  }
  return `${out}}`;
}

/**
 * The hash of an event: everything it says, including the previous event's hash. Keyed events are an
 * HMAC under their AUDIT_KEY (someone who can write D1 but not read the Worker's secrets cannot reseal
 * an edit); unkeyed ones, from before keying, the plain SHA-256.
 */
export function hashEvent(e: Omit<AuditEvent, "hash">, keys?: Keyring): Promise<string> {
  const text = eventCanonicalJson(e);
  if (e.keyId === undefined) return sha256Hex(text);
  if (!keys) return Promise.reject(new Error(`event ${e.id} is keyed (${e.keyId}) and no audit keys were given`));
  return keys.sign(e.keyId, text);
}

/** Seals the next event of a chain after `head` (null for the first event); keyed with the current key of `keys`. */
export async function sealEvent(
  chain: string,
  head: ChainHead | null,
  input: AuditInput,
  id: string,
  at: string,
  keys?: Keyring,
): Promise<AuditEvent> {
  const unsealed = {
    ...AuditInput.parse(input),
    id,
    chain,
    seq: (head?.seq ?? 0) + 1,
    at,
    prevHash: head?.hash ?? GENESIS_HASH,
    ...(keys ? { keyId: keys.currentId } : {}),
  };
  return { ...unsealed, hash: await hashEvent(unsealed, keys) };
}

/** Where a chain verification stands: the last good link, so a long chain can be checked page by page. */
export interface VerifyCursor {
  prevHash: string;
  nextSeq: number;
  /** A keyed event has been seen: every later one must be keyed too (no downgrade to a plain hash). */
  keyed?: boolean;
}

export const CHAIN_START: VerifyCursor = { prevHash: GENESIS_HASH, nextSeq: 1 };

/** The outcome of checking events: where it broke and why, else where the next page continues. */
export interface EventsVerdict {
  ok: boolean;
  events: number;
  brokenAt?: string;
  reason?: string;
  cursor: VerifyCursor;
}

/**
 * Recomputes a chain given in sequence order, from `cursor` (the genesis by default); reports the first
 * event whose sequence, link, key or hash is wrong, and why, else where the next page must continue.
 */
export async function verifyEvents(
  events: AuditEvent[],
  cursor: VerifyCursor = CHAIN_START,
  keys?: Keyring,
): Promise<EventsVerdict> {
  let { prevHash, nextSeq, keyed = false } = cursor;
  for (const e of events) {
    const reason = await brokenLink(e, { prevHash, nextSeq, keyed }, keys);
    if (reason)
      return { ok: false, events: events.length, brokenAt: e.id, reason, cursor: { prevHash, nextSeq, keyed } };
    prevHash = e.hash;
    nextSeq += 1;
    keyed ||= e.keyId !== undefined;
  }
  return { ok: true, events: events.length, cursor: { prevHash, nextSeq, keyed } };
}

/** Why `e` does not follow `cursor`, or null when it does. */
async function brokenLink(e: AuditEvent, cursor: Required<VerifyCursor>, keys?: Keyring): Promise<string | null> {
  if (e.seq !== cursor.nextSeq)
    return `sequence gap in chain ${e.chain}: expected event ${cursor.nextSeq}, found ${e.seq} (events were deleted or inserted)`;
  if (e.prevHash !== cursor.prevHash)
    return `event ${e.seq} of chain ${e.chain} does not link to the event before it (an earlier event was changed or replaced)`;
  if (e.keyId === undefined && cursor.keyed)
    return `event ${e.seq} of chain ${e.chain} carries a plain hash after keyed events (resealed without the audit key)`;
  if (e.keyId !== undefined && !keys?.has(e.keyId))
    return `event ${e.seq} of chain ${e.chain} is signed with audit key "${e.keyId}", which is not configured`;
  if ((await hashEvent(e, keys)) !== e.hash)
    return `event ${e.seq} of chain ${e.chain} does not match its ${e.keyId === undefined ? "hash" : "signature"} (its content was edited)`;
  return null;
}

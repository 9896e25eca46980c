import { z } from "zod";
import { canonicalJson, sha256Hex } from "../domain/hash";

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
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export const GENESIS_HASH = "0".repeat(64);

/** The fields an event's hash covers, in canonical (sorted) key order. */
const HASHED_FIELDS = [
  "action",
  "actor",
  "at",
  "chain",
  "details",
  "diffSummary",
  "id",
  "intent",
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
    const value = (e as Record<string, unknown>)[key] ?? null;
    out += `${out.length > 1 ? "," : ""}"${key}":${key === "details" ? canonicalJson(value) : JSON.stringify(value)}`;
  }
  return `${out}}`;
}

/** The hash of an event: everything it says, including the previous event's hash. */
export function hashEvent(e: Omit<AuditEvent, "hash">): Promise<string> {
  return sha256Hex(eventCanonicalJson(e));
}

/** Seals the next event of a chain after `head` (null for the first event). */
export async function sealEvent(
  chain: string,
  head: ChainHead | null,
  input: AuditInput,
  id: string,
  at: string,
): Promise<AuditEvent> {
  const unsealed = {
    ...AuditInput.parse(input),
    id,
    chain,
    seq: (head?.seq ?? 0) + 1,
    at,
    prevHash: head?.hash ?? GENESIS_HASH,
  };
  return { ...unsealed, hash: await hashEvent(unsealed) };
}

/** Where a chain verification stands: the last good link, so a long chain can be checked page by page. */
export interface VerifyCursor {
  prevHash: string;
  nextSeq: number;
}

export const CHAIN_START: VerifyCursor = { prevHash: GENESIS_HASH, nextSeq: 1 };

/**
 * Recomputes a chain given in sequence order, from `cursor` (the genesis by default); reports the first
 * event whose sequence, link or hash is wrong, else where the next page must continue.
 */
export async function verifyEvents(
  events: AuditEvent[],
  cursor: VerifyCursor = CHAIN_START,
): Promise<{ ok: boolean; events: number; brokenAt?: string; cursor: VerifyCursor }> {
  let { prevHash, nextSeq } = cursor;
  for (const e of events) {
    if (e.seq !== nextSeq || e.prevHash !== prevHash || (await hashEvent(e)) !== e.hash) {
      return { ok: false, events: events.length, brokenAt: e.id, cursor: { prevHash, nextSeq } };
    }
    prevHash = e.hash;
    nextSeq += 1;
  }
  return { ok: true, events: events.length, cursor: { prevHash, nextSeq } };
}

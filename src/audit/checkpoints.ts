/**
 * Signed statements of a chain's head, kept outside D1 (ARCHITECTURE §13 "audit anchored outside D1"):
 * a checkpoint in the environment's Durable Object storage after every append, and an hourly digest in
 * R2 that also signs the previous digest's hash (CloudTrail's digest files). Someone who can rewrite D1
 * can neither move these nor forge new ones without the AUDIT_KEY, so a truncated or rewritten chain no
 * longer matches the head they vouch for. Pure: signing, checking and comparing; storage is elsewhere.
 */
import { z } from "zod";
import { canonicalJson, sha256Hex } from "../domain/hash";
import type { Keyring } from "../domain/keyring";

/** The head of a chain at a moment: its last event's sequence number and hash. */
export const Checkpoint = z.object({
  chain: z.string(),
  seq: z.number().int().nonnegative(),
  hash: z.string(),
  /** When the head was written (the checkpoint is as old as the event it vouches for). */
  at: z.string(),
  keyId: z.string(),
  signature: z.string(),
});
export type Checkpoint = z.infer<typeof Checkpoint>;

/** An hourly digest: a checkpoint that also signs where the previous digest is and what it said. */
export const Digest = Checkpoint.extend({
  /** The R2 key and SHA-256 of the previous digest's stored text; null for a chain's first digest. */
  previous: z.object({ key: z.string(), sha256: z.string() }).nullable(),
});
export type Digest = z.infer<typeof Digest>;

/** Proof the writer saw D1 contradict a checkpoint it had signed; kept until someone looks into it. */
export const Breach = z.object({ detectedAt: z.string(), reason: z.string() });
export type Breach = z.infer<typeof Breach>;

const CHECKPOINT_KIND = "infra-chat/audit-checkpoint/1";
const DIGEST_KIND = "infra-chat/audit-digest/1";

type Head = Pick<Checkpoint, "chain" | "seq" | "hash" | "at">;

/** Signs a chain's head with the current audit key. */
export async function signCheckpoint(keys: Keyring, head: Head): Promise<Checkpoint> {
  const unsigned = { chain: head.chain, seq: head.seq, hash: head.hash, at: head.at, keyId: keys.currentId };
  return {
    ...unsigned,
    signature: await keys.sign(unsigned.keyId, canonicalJson({ kind: CHECKPOINT_KIND, ...unsigned })),
  };
}

/** Signs an hourly digest of a chain's head, linked to the previous digest. */
export async function signDigest(keys: Keyring, head: Head, previous: Digest["previous"]): Promise<Digest> {
  const unsigned = { chain: head.chain, seq: head.seq, hash: head.hash, at: head.at, keyId: keys.currentId, previous };
  return { ...unsigned, signature: await keys.sign(unsigned.keyId, canonicalJson({ kind: DIGEST_KIND, ...unsigned })) };
}

/** Why a checkpoint's signature does not hold (unknown key, or forged/edited), or null when it does. */
export async function checkpointForgery(keys: Keyring, cp: Checkpoint): Promise<string | null> {
  const { signature, ...unsigned } = cp;
  return signatureProblem(
    keys,
    "checkpoint",
    unsigned,
    canonicalJson({ kind: CHECKPOINT_KIND, ...unsigned }),
    signature,
  );
}

/** Why a digest's signature does not hold, or null when it does. */
export async function digestForgery(keys: Keyring, digest: Digest): Promise<string | null> {
  const { signature, ...unsigned } = digest;
  return signatureProblem(keys, "digest", unsigned, canonicalJson({ kind: DIGEST_KIND, ...unsigned }), signature);
}

async function signatureProblem(
  keys: Keyring,
  what: string,
  anchor: { chain: string; seq: number; keyId: string },
  text: string,
  signature: string,
): Promise<string | null> {
  if (!keys.has(anchor.keyId))
    return `the ${what} of chain ${anchor.chain} at event ${anchor.seq} is signed with audit key "${anchor.keyId}", which is not configured`;
  if ((await keys.sign(anchor.keyId, text)) !== signature)
    return `the ${what} of chain ${anchor.chain} at event ${anchor.seq} has a signature that does not match (forged or edited)`;
  return null;
}

/**
 * How D1 contradicts an anchor, or null when it agrees: `headSeq` is the chain's last event in D1 (0 when
 * empty), `hashAtSeq` the hash D1 holds for the anchored event. D1 may run ahead of an anchor (events since).
 */
export function contradiction(
  what: string,
  anchor: Pick<Checkpoint, "chain" | "seq" | "hash" | "at">,
  headSeq: number,
  hashAtSeq: string | undefined,
): string | null {
  if (headSeq < anchor.seq)
    return `chain ${anchor.chain} was truncated: D1 ends at event ${headSeq}, but the ${what} of ${anchor.at} vouches for event ${anchor.seq}`;
  if (hashAtSeq !== anchor.hash)
    return `chain ${anchor.chain} was rewritten: event ${anchor.seq} in D1 is not the one the ${what} of ${anchor.at} vouches for`;
  return null;
}

/** The SHA-256 of a digest as stored: what the next digest signs as its `previous`. */
export function digestHash(storedText: string): Promise<string> {
  return sha256Hex(storedText);
}

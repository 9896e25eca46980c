/**
 * The audit chain's anchors outside D1, kept by the chain's single writer (its EnvironmentDO): after every
 * committed append a signed checkpoint of the new head in the object's own storage, and once an hour (the
 * object's alarm) a signed digest in R2 linked to the previous one. If an append shows that D1 no longer
 * holds what the last checkpoint vouched for (its tail deleted, then written again), the writer keeps that
 * as a breach record: the checkpoint moves on with the chain, the evidence does not.
 */
import type { AuditEvent } from "./chain";
import type { Breach, Checkpoint, Digest } from "./checkpoints";
import { digestHash, signCheckpoint, signDigest } from "./checkpoints";
import type { Keyring } from "../domain/keyring";
import { isoAt } from "../domain/time";

/** The part of Durable Object storage the anchor uses (its key-value API). */
export interface AnchorStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

/** Where hourly digests are kept (R2): stored text by key, keys in time order per chain. */
export interface DigestStore {
  /** Stores a digest's text; returns its key. */
  put(chain: string, at: string, text: string): Promise<string>;
  get(key: string): Promise<string | null>;
  /** Keys of a chain's digests, oldest first. */
  list(chain: string): Promise<string[]>;
  /** Every chain that has digests (found even when D1 has lost all of its events). */
  chains(): Promise<string[]>;
}

/** The last digest written, as the writer remembers it to link the next one. */
export interface DigestPointer {
  key: string;
  sha256: string;
  seq: number;
}

/** What a chain's anchors say now. */
export interface AnchorState {
  checkpoint: Checkpoint | null;
  breach: Breach | null;
  digest: DigestPointer | null;
}

const CHECKPOINT = "audit:checkpoint";
const BREACH = "audit:breach";
const DIGEST = "audit:digest";

/** How often a digest goes to R2 (CloudTrail delivers its digest files hourly). */
export const DIGEST_PERIOD_MS = 3600_000;

/** The start of the next digest period after `now`. */
export function nextDigestAt(now: number): number {
  return (Math.floor(now / DIGEST_PERIOD_MS) + 1) * DIGEST_PERIOD_MS;
}

/** Keeps one chain's checkpoint, breach record and digest chain; used only by that chain's writer. */
export class AuditAnchor {
  constructor(
    private readonly storage: AnchorStorage,
    private readonly digests: DigestStore,
    private readonly keys: Keyring,
    private readonly now: () => number,
  ) {}

  /** After a commit of `events`: checks they continue the checkpointed head, then checkpoints the new head. */
  async committed(events: AuditEvent[]): Promise<void> {
    const first = events[0];
    const last = events[events.length - 1];
    if (!first || !last) return;
    const previous = await this.storage.get<Checkpoint>(CHECKPOINT);
    const reason = previous?.chain === first.chain ? discontinuity(previous, first) : null;
    if (reason && !(await this.storage.get<Breach>(BREACH)))
      await this.storage.put<Breach>(BREACH, { detectedAt: isoAt(this.now()), reason });
    await this.storage.put(CHECKPOINT, await signCheckpoint(this.keys, last));
  }

  /** Writes the hourly digest of the checkpointed head to R2, unless nothing was appended since the last one. */
  async sealDigest(): Promise<Digest | null> {
    const checkpoint = await this.storage.get<Checkpoint>(CHECKPOINT);
    const last = await this.storage.get<DigestPointer>(DIGEST);
    if (!checkpoint || last?.seq === checkpoint.seq) return null;
    const digest = await signDigest(this.keys, checkpoint, last ? { key: last.key, sha256: last.sha256 } : null);
    const text = JSON.stringify(digest);
    const key = await this.digests.put(checkpoint.chain, isoAt(this.now()), text);
    await this.storage.put<DigestPointer>(DIGEST, { key, sha256: await digestHash(text), seq: checkpoint.seq });
    return digest;
  }

  /** The checkpoint, any breach record and the last digest's pointer. */
  async state(): Promise<AnchorState> {
    return {
      checkpoint: (await this.storage.get<Checkpoint>(CHECKPOINT)) ?? null,
      breach: (await this.storage.get<Breach>(BREACH)) ?? null,
      digest: (await this.storage.get<DigestPointer>(DIGEST)) ?? null,
    };
  }
}

/** Why `first` cannot follow the checkpointed head, or null when it can (it may run ahead of a lagging checkpoint). */
function discontinuity(checkpoint: Checkpoint, first: AuditEvent): string | null {
  if (first.seq <= checkpoint.seq)
    return `chain ${first.chain} was truncated: event ${first.seq} was written again after the checkpoint of ${checkpoint.at} had vouched for event ${checkpoint.seq}`;
  if (first.seq === checkpoint.seq + 1 && first.prevHash !== checkpoint.hash)
    return `chain ${first.chain} was rewritten: event ${checkpoint.seq} in D1 is not the one the checkpoint of ${checkpoint.at} vouches for`;
  return null;
}

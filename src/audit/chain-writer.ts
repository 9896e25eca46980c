/**
 * The single writer of one audit chain (ARCHITECTURE §9: each chain has exactly one writer, or it forks).
 * An EnvironmentDO owns one: every append seals its events after the chain's head and commits them in
 * the same atomic write as the change they describe (a run transition, an incident row), one append at
 * a time, so the order is total and the head cache never runs ahead of what was committed.
 *
 * Sealing and storage are handed in: keying the chain or anchoring its head elsewhere changes `seal`
 * or the store, not this class.
 */
import type { AuditEvent, AuditInput, ChainHead } from "./chain";
import { sealEvent } from "./chain";

/** Where a chain lives: its stored head, and one atomic write of sealed events with the change they record. */
export interface ChainStore<Write> {
  /** The chain's last stored event, or null for an empty chain. */
  head(chain: string): Promise<ChainHead | null>;
  /** Commits `writes` and `events` together, or neither. */
  commit(writes: Write[], events: AuditEvent[]): Promise<void>;
}

/** Seals the next event after `head`. */
export type Sealer = (chain: string, head: ChainHead | null, input: AuditInput) => Promise<AuditEvent>;

/** The default sealer: a fresh event id and the current time, hashed onto the head. */
export function sealWith(newId: () => string, now: () => number): Sealer {
  return (chain, head, input) => sealEvent(chain, head, input, newId(), new Date(now()).toISOString());
}

/** Appends to one chain; the chain is named by the first `bind`, and another name afterwards is a bug. */
export class ChainWriter<Write> {
  #chain: string | undefined;
  /** The committed head; undefined until read from the store (and again after a failed commit). */
  #head: ChainHead | null | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ChainStore<Write>,
    private readonly seal: Sealer,
  ) {}

  /** Names the chain this writer appends to (an environment id, or "global"). */
  bind(chain: string): void {
    if (this.#chain && this.#chain !== chain) throw new Error(`this object writes chain ${this.#chain}, not ${chain}`);
    this.#chain = chain;
  }

  /** The chain this writer is bound to, once known. */
  get chain(): string | undefined {
    return this.#chain;
  }

  /** Seals `inputs` onto the chain and commits them with `writes`, after every earlier append. */
  append(inputs: AuditInput[], writes: Write[] = []): Promise<AuditEvent[]> {
    const next = this.#queue.then(() => this.#appendNow(inputs, writes));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #appendNow(inputs: AuditInput[], writes: Write[]): Promise<AuditEvent[]> {
    const chain = this.#chain;
    if (!chain) throw new Error("audit append before the chain was bound");
    try {
      if (this.#head === undefined) this.#head = await this.store.head(chain);
      const events: AuditEvent[] = [];
      let head = this.#head;
      for (const input of inputs) {
        const event = await this.seal(chain, head, input);
        events.push(event);
        head = { seq: event.seq, hash: event.hash };
      }
      if (writes.length || events.length) await this.store.commit(writes, events);
      this.#head = head;
      return events;
    } catch (e) {
      // Whether the write landed is unknown: read the head again before the next append.
      this.#head = undefined;
      throw e;
    }
  }
}

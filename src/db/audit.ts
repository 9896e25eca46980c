import { and, asc, count, desc, eq, gte, inArray } from "drizzle-orm";
import type { AuditEvent, ChainHead } from "../audit/chain";
import { CHAIN_START, verifyEvents } from "../audit/chain";
import type { Keyring } from "../domain/keyring";
import type { ChainStore } from "../audit/chain-writer";
import type { Database, Statement } from "./client";
import { commitBatch } from "./client";
import { auditEvents } from "./schema";

/** Audit chains in D1: each event is written in the same batch as the change it records. */
export function d1ChainStore(db: Database): ChainStore<Statement> {
  return {
    head: (chain) => chainHead(db, chain),
    commit: (writes, events) => commitBatch(db, [...writes, ...auditStatements(db, events)]),
  };
}

/** Inserts for sealed audit events (append-only: the table's triggers refuse anything else). */
function auditStatements(db: Database, events: AuditEvent[]): Statement[] {
  return events.map((e) =>
    db
      .insert(auditEvents)
      .values({ ...e, intent: e.intent ?? null, details: e.details ?? null, keyId: e.keyId ?? null }),
  );
}

/** The last event of a chain, or null for an empty chain. */
export async function chainHead(db: Database, chain: string): Promise<ChainHead | null> {
  const row = (
    await db
      .select({ seq: auditEvents.seq, hash: auditEvents.hash })
      .from(auditEvents)
      .where(eq(auditEvents.chain, chain))
      .orderBy(desc(auditEvents.seq))
      .limit(1)
  )[0];
  return row ?? null;
}

/** Events of one chain (or all), newest first, optionally since a time. */
export async function listAudit(
  db: Database,
  filter: { chain?: string; since?: string; limit: number },
): Promise<AuditEvent[]> {
  const where = and(
    filter.chain ? eq(auditEvents.chain, filter.chain) : undefined,
    filter.since ? gte(auditEvents.at, filter.since) : undefined,
  );
  const rows = await db
    .select()
    .from(auditEvents)
    .where(where)
    .orderBy(desc(auditEvents.at), desc(auditEvents.seq))
    .limit(filter.limit);
  return rows.map(toEvent);
}

/** How many events of one action one actor has in a chain since a time (rate limits over audited refusals). */
export async function countEvents(
  db: Database,
  filter: { chain: string; action: string; actor: string; since: string },
): Promise<number> {
  const rows = await db
    .select({ n: count() })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.chain, filter.chain),
        gte(auditEvents.at, filter.since),
        eq(auditEvents.action, filter.action),
        eq(auditEvents.actor, filter.actor),
      ),
    );
  return rows[0]?.n ?? 0;
}

/** Rows per read while verifying: bounded memory and response size at any log length. */
const VERIFY_PAGE = 5000;

/** The names of every chain D1 holds events of. */
export async function auditChainNames(db: Database): Promise<string[]> {
  return (await db.selectDistinct({ chain: auditEvents.chain }).from(auditEvents)).map((r) => r.chain);
}

/** The hashes D1 holds for these events of a chain (to compare with what its anchors vouch for). */
export async function hashesAt(db: Database, chain: string, seqs: number[]): Promise<Map<number, string>> {
  if (!seqs.length) return new Map();
  const rows = await db
    .select({ seq: auditEvents.seq, hash: auditEvents.hash })
    .from(auditEvents)
    .where(and(eq(auditEvents.chain, chain), inArray(auditEvents.seq, seqs)));
  return new Map(rows.map((r) => [r.seq, r.hash]));
}

/** One page of a chain from `fromSeq` in sequence order. */
async function chainPage(db: Database, chain: string, fromSeq: number): Promise<AuditEvent[]> {
  // Rows as arrays (no per-row objects from the query builder): 100k events are read per verification.
  const rows = (await db
    .select(VERIFY_COLUMNS)
    .from(auditEvents)
    .where(and(eq(auditEvents.chain, chain), gte(auditEvents.seq, fromSeq)))
    .orderBy(asc(auditEvents.seq))
    .limit(VERIFY_PAGE)
    .values()) as VerifyRow[];
  return rows.map(fromValues);
}

/** Recomputes one chain page by page in sequence order; the first broken event and why. */
export async function verifyChainEvents(
  db: Database,
  chain: string,
  keys: Keyring,
): Promise<{ ok: boolean; events: number; brokenAt?: string; reason?: string }> {
  let cursor = CHAIN_START;
  let total = 0;
  const page = (fromSeq: number) => chainPage(db, chain, fromSeq);
  let next = page(cursor.nextSeq);
  for (;;) {
    const rows = await next;
    // The next page is read while this one is hashed: an intact chain's sequence numbers are consecutive.
    if (rows.length === VERIFY_PAGE) {
      next = page(rows[rows.length - 1].seq + 1);
      next.catch(() => undefined); // dropped unread when this page breaks the chain; awaited (and thrown) otherwise
    }
    const result = await verifyEvents(rows, cursor, keys);
    total += rows.length;
    if (!result.ok) return { ok: false, events: total, brokenAt: result.brokenAt, reason: result.reason };
    cursor = result.cursor;
    if (rows.length < VERIFY_PAGE) return { ok: true, events: total };
  }
}

/** Every event of one chain in sequence order, page by page (the audit export). */
export async function* chainEvents(db: Database, chain: string): AsyncGenerator<AuditEvent[]> {
  for (let fromSeq = 1; ; ) {
    const rows = await chainPage(db, chain, fromSeq);
    if (rows.length) yield rows;
    if (rows.length < VERIFY_PAGE) return;
    fromSeq = rows[rows.length - 1].seq + 1;
  }
}

const VERIFY_COLUMNS = {
  id: auditEvents.id,
  chain: auditEvents.chain,
  seq: auditEvents.seq,
  at: auditEvents.at,
  actor: auditEvents.actor,
  action: auditEvents.action,
  intent: auditEvents.intent,
  planId: auditEvents.planId,
  runId: auditEvents.runId,
  diffSummary: auditEvents.diffSummary,
  receiptHash: auditEvents.receiptHash,
  details: auditEvents.details,
  prevHash: auditEvents.prevHash,
  hash: auditEvents.hash,
  keyId: auditEvents.keyId,
};
type VerifyRow = [
  string,
  string,
  number,
  string,
  string,
  string,
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
  string,
  string,
  string | null,
];

/** One row of VERIFY_COLUMNS, in that order; `details` is still JSON text here. */
function fromValues([
  id,
  chain,
  seq,
  at,
  actor,
  action,
  intent,
  planId,
  runId,
  diffSummary,
  receiptHash,
  details,
  prevHash,
  hash,
  keyId,
]: VerifyRow): AuditEvent {
  return {
    id,
    chain,
    seq,
    at,
    actor,
    action,
    intent: intent ?? undefined,
    planId: planId ?? undefined,
    runId: runId ?? undefined,
    diffSummary: diffSummary ?? undefined,
    receiptHash: receiptHash ?? undefined,
    details: details === null ? undefined : (JSON.parse(details) as Record<string, unknown>),
    prevHash,
    hash,
    ...(keyId === null ? {} : { keyId }),
  };
}

function toEvent(r: typeof auditEvents.$inferSelect): AuditEvent {
  return {
    id: r.id,
    chain: r.chain,
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    intent: r.intent ?? undefined,
    planId: r.planId ?? undefined,
    runId: r.runId ?? undefined,
    diffSummary: r.diffSummary ?? undefined,
    receiptHash: r.receiptHash ?? undefined,
    details: (r.details as Record<string, unknown> | null) ?? undefined,
    prevHash: r.prevHash,
    hash: r.hash,
    ...(r.keyId === null ? {} : { keyId: r.keyId }),
  };
}

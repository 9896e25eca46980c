/** Code entry bookkeeping: wrong codes and lockouts per sender, and two-step SMS confirmations. */
import { and, count, desc, eq, gt, gte, inArray, isNull, lt } from "drizzle-orm";
import type { Database } from "./client";
import { commitBatch } from "./client";
import { codeFailures, codeLockouts, smsConfirmations } from "./schema";

/** The latest end of a lockout among `senders` that is still in force at `now`, or null. */
export async function lockedUntil(db: Database, senders: string[], now: string): Promise<string | null> {
  const rows = await db
    .select({ until: codeLockouts.until })
    .from(codeLockouts)
    .where(and(inArray(codeLockouts.sender, senders), gt(codeLockouts.until, now)))
    .orderBy(desc(codeLockouts.until))
    .limit(1);
  return rows[0]?.until ?? null;
}

/**
 * Records a wrong code for each sender and returns, per sender, how many wrong codes count now: those
 * since `since` and since the sender's last lockout ended (a served lockout starts a clean slate).
 */
export async function recordFailure(
  db: Database,
  senders: string[],
  at: string,
  since: string,
): Promise<Map<string, number>> {
  // Older failures never count again: pruned in the same batch, so the table stays as small as the window.
  await db.batch([
    db.insert(codeFailures).values(senders.map((sender) => ({ sender, at }))),
    db.delete(codeFailures).where(and(inArray(codeFailures.sender, senders), lt(codeFailures.at, since))),
  ]);
  const counts = new Map<string, number>();
  for (const sender of senders) {
    const ended = (
      await db.select({ until: codeLockouts.until }).from(codeLockouts).where(eq(codeLockouts.sender, sender))
    )[0]?.until;
    const from = ended && ended > since ? ended : since;
    const rows = await db
      .select({ n: count() })
      .from(codeFailures)
      .where(and(eq(codeFailures.sender, sender), gte(codeFailures.at, from)));
    counts.set(sender, rows[0]?.n ?? 0);
  }
  return counts;
}

/** Locks senders out of code entry until `until`. */
export async function lockSenders(db: Database, senders: string[], lockedAt: string, until: string): Promise<void> {
  await commitBatch(
    db,
    senders.map((sender) =>
      db
        .insert(codeLockouts)
        .values({ sender, lockedAt, until })
        .onConflictDoUpdate({ target: codeLockouts.sender, set: { lockedAt, until } }),
    ),
  );
}

export type SmsConfirmationRow = typeof smsConfirmations.$inferSelect;

/** Records a two-step command waiting for its code. */
export async function insertConfirmation(db: Database, row: Omit<SmsConfirmationRow, "doneAt">): Promise<void> {
  await db.insert(smsConfirmations).values(row);
}

/** The confirmations a phone may still answer at `now`, newest first. */
export async function openConfirmations(db: Database, phone: string, now: string): Promise<SmsConfirmationRow[]> {
  return db
    .select()
    .from(smsConfirmations)
    .where(and(eq(smsConfirmations.phone, phone), gt(smsConfirmations.expiresAt, now), isNull(smsConfirmations.doneAt)))
    .orderBy(desc(smsConfirmations.expiresAt));
}

/** Marks a confirmation answered; false when it already was (a second "YES" acts once). */
export async function closeConfirmation(db: Database, planId: string, at: string): Promise<boolean> {
  const closed = await db
    .update(smsConfirmations)
    .set({ doneAt: at })
    .where(and(eq(smsConfirmations.planId, planId), isNull(smsConfirmations.doneAt)))
    .returning({ planId: smsConfirmations.planId });
  return closed.length > 0;
}

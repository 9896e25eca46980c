import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Database } from "./client";
import { smsOutbound } from "./schema";
import type { SentText } from "../notify/texts";

export type OutboundText = typeof smsOutbound.$inferSelect;

/** Records texts as Twilio accepted them (a SID seen again keeps its first row). */
export async function recordTexts(db: Database, texts: SentText[], now: string): Promise<void> {
  if (!texts.length) return;
  await db
    .insert(smsOutbound)
    .values(
      texts.map((t) => ({
        sid: t.sid,
        envId: t.envId,
        runId: t.runId ?? null,
        incidentId: t.incidentId ?? null,
        toPhone: t.to,
        purpose: t.purpose,
        level: t.level,
        body: t.body ?? null,
        status: t.status,
        errorCode: null,
        escalatedAt: null,
        escalatedTo: null,
        createdAt: now,
        updatedAt: now,
      })),
    )
    .onConflictDoNothing();
}

/** Twilio's statuses in the order a message goes through them; failures are final. */
const ORDER = ["accepted", "scheduled", "queued", "sending", "sent", "receiving", "received", "delivered"];
const FINAL = new Set(["delivered", "undelivered", "failed", "canceled", "read"]);

function moves(from: string, to: string): boolean {
  if (FINAL.has(from)) return false;
  if (FINAL.has(to)) return true;
  return ORDER.indexOf(to) > ORDER.indexOf(from);
}

/**
 * Applies a status callback: the row moves only forward (a repeated or late callback changes nothing).
 * Returns the row as it now is and whether this callback changed it; null for a SID this control plane
 * did not send.
 */
export async function applyTextStatus(
  db: Database,
  sid: string,
  status: string,
  errorCode: string | null,
  now: string,
): Promise<{ text: OutboundText; changed: boolean } | null> {
  const row = (await db.select().from(smsOutbound).where(eq(smsOutbound.sid, sid)).limit(1))[0];
  if (!row) return null;
  if (!moves(row.status, status)) return { text: row, changed: false };
  const updated = await db
    .update(smsOutbound)
    .set({ status, errorCode, updatedAt: now })
    .where(and(eq(smsOutbound.sid, sid), eq(smsOutbound.status, row.status)))
    .returning();
  return updated[0] ? { text: updated[0], changed: true } : { text: row, changed: false };
}

/** Claims a failed text's escalation: true once per text, whoever asks first. */
export async function claimEscalation(db: Database, sid: string, now: string): Promise<boolean> {
  const claimed = await db
    .update(smsOutbound)
    .set({ escalatedAt: now })
    .where(and(eq(smsOutbound.sid, sid), isNull(smsOutbound.escalatedAt)))
    .returning({ sid: smsOutbound.sid });
  return claimed.length > 0;
}

/** Where a failed text's escalation went (null: nowhere left to go). */
export async function recordEscalation(db: Database, sid: string, to: string | null): Promise<void> {
  await db
    .update(smsOutbound)
    .set({ escalatedTo: to ?? "none" })
    .where(eq(smsOutbound.sid, sid));
}

/** One text by SID. */
export async function textBySid(db: Database, sid: string): Promise<OutboundText | null> {
  return (await db.select().from(smsOutbound).where(eq(smsOutbound.sid, sid)).limit(1))[0] ?? null;
}

/** The texts of runs or incidents, oldest first. */
export async function textsOf(
  db: Database,
  by: { runIds?: string[]; incidentIds?: string[] },
): Promise<OutboundText[]> {
  const where = by.runIds?.length
    ? inArray(smsOutbound.runId, by.runIds)
    : by.incidentIds?.length
      ? inArray(smsOutbound.incidentId, by.incidentIds)
      : undefined;
  if (!where) return [];
  return db.select().from(smsOutbound).where(where).orderBy(smsOutbound.createdAt);
}

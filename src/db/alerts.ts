import { and, eq, isNotNull } from "drizzle-orm";
import type { Database } from "./client";
import { alertSubscriptions, users } from "./schema";

/** Phones subscribed to an environment's alerts. */
export async function subscriberPhones(db: Database, envId: string): Promise<string[]> {
  return (
    await db
      .select({ phone: alertSubscriptions.phone })
      .from(alertSubscriptions)
      .where(eq(alertSubscriptions.envId, envId))
  ).map((r) => r.phone);
}

/** Subscribes a user's phone to an environment's alerts (idempotent). */
export async function subscribe(
  db: Database,
  envId: string,
  userId: string,
  phone: string,
  now: string,
): Promise<void> {
  await db.insert(alertSubscriptions).values({ envId, phone, userId, createdAt: now }).onConflictDoNothing();
}

/**
 * Stops texting someone about one environment (or every one): their phone, when they have one, else the
 * subscriptions they made. Returns the phones no longer texted.
 */
export async function unsubscribe(
  db: Database,
  who: { userId: string; phone?: string | null },
  envId?: string,
): Promise<string[]> {
  const whose = who.phone ? eq(alertSubscriptions.phone, who.phone) : eq(alertSubscriptions.userId, who.userId);
  const removed = await db
    .delete(alertSubscriptions)
    .where(and(whose, envId ? eq(alertSubscriptions.envId, envId) : undefined))
    .returning({ phone: alertSubscriptions.phone });
  return [...new Set(removed.map((r) => r.phone))];
}

/** Phones of admins (approval requests go to everyone who can approve). */
export async function adminPhones(db: Database): Promise<string[]> {
  const rows = await db
    .select({ phone: users.phone })
    .from(users)
    .where(and(eq(users.role, "admin"), isNotNull(users.phone)));
  return rows.flatMap((r) => (r.phone ? [r.phone] : []));
}

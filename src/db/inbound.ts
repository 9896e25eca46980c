/** Inbound webhooks recorded once each: Twilio messages by MessageSid, Stripe events by id. */
import { eq } from "drizzle-orm";
import type { Database } from "./client";
import { smsInbound, stripeEvents } from "./schema";

/** Claims an inbound SMS by its MessageSid; false when it was claimed before (a redelivery). */
export async function claimInboundSms(
  db: Database,
  sms: { messageSid: string; fromPhone: string; bodyHash: string; receivedAt: string },
): Promise<boolean> {
  const claimed = await db
    .insert(smsInbound)
    .values({ ...sms, outcome: "processing" })
    .onConflictDoNothing()
    .returning({ sid: smsInbound.messageSid });
  return claimed.length > 0;
}

/** What was answered to an inbound SMS (kept short). */
export async function recordSmsOutcome(db: Database, messageSid: string, outcome: string): Promise<void> {
  await db.update(smsInbound).set({ outcome }).where(eq(smsInbound.messageSid, messageSid));
}

/** Records a Stripe event once; false when it was recorded before (a replay). */
export async function recordStripeEvent(db: Database, event: typeof stripeEvents.$inferInsert): Promise<boolean> {
  const inserted = await db
    .insert(stripeEvents)
    .values(event)
    .onConflictDoNothing()
    .returning({ id: stripeEvents.eventId });
  return inserted.length > 0;
}

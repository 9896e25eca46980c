import { z } from "zod";
import { recordStripeEvent } from "../db/inbound";
import { UnreadableSecretError, envsWithSecret, resolveSecret } from "../db/secrets";
import { verifyStripeSignature } from "../security/stripe-signature";
import { recordForEnv } from "./audit";
import type { Services } from "./services";

/** The signing secret of an environment's Stripe webhook endpoint is stored as this secret. */
export const STRIPE_WEBHOOK_SECRET = "STRIPE_WEBHOOK_SECRET";

const StripeEvent = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  livemode: z.boolean(),
});

export interface StripeWebhookOutcome {
  status: 200 | 400;
  body: { received: boolean; duplicate?: boolean; error?: string };
}

/**
 * A Stripe webhook delivery: accepted only with a Stripe-Signature made by one environment's signing
 * secret within 300 s, parsed only after that, and recorded once per event id.
 */
export async function handleStripeWebhook(
  services: Services,
  rawBody: string,
  header: string | null,
  nowSeconds: number,
): Promise<StripeWebhookOutcome> {
  const { db, cipher } = services;
  let envId: string | null = null;
  for (const candidate of await envsWithSecret(db, STRIPE_WEBHOOK_SECRET)) {
    // One environment's unreadable signing secret must not refuse the deliveries meant for the others.
    const secret = await resolveSecret(db, cipher, candidate, STRIPE_WEBHOOK_SECRET).catch((e: unknown) => {
      if (!(e instanceof UnreadableSecretError)) throw e;
      console.error("stripe webhook: unreadable signing secret", e.env);
      return null;
    });
    if (secret && (await verifyStripeSignature(secret, rawBody, header, nowSeconds)).ok) {
      envId = candidate;
      break;
    }
  }
  // One answer for every failure: the reason would only help a forger.
  if (!envId) return { status: 400, body: { received: false, error: "invalid signature" } };
  let event: z.infer<typeof StripeEvent>;
  try {
    event = StripeEvent.parse(JSON.parse(rawBody));
  } catch {
    return { status: 400, body: { received: false, error: "not a Stripe event" } };
  }
  const recorded = await recordStripeEvent(db, {
    eventId: event.id,
    envId,
    type: event.type,
    livemode: event.livemode,
    receivedAt: new Date(nowSeconds * 1000).toISOString(),
  });
  if (!recorded) return { status: 200, body: { received: true, duplicate: true } };
  await recordForEnv(services, envId, [
    {
      actor: "stripe",
      action: "stripe.event",
      details: { eventId: event.id, type: event.type, livemode: event.livemode },
    },
  ]);
  return { status: 200, body: { received: true } };
}

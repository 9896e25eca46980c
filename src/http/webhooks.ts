import { Hono } from "hono";
import { handleInboundSms } from "../control/sms";
import { handleTextStatus } from "../control/sms-status";
import { handleStripeWebhook } from "../control/stripe-webhook";
import type { AppEnv } from "./auth";
import { cappedBody } from "./body-cap";
import { MAX_BODY_BYTES } from "./errors";

/**
 * Provider webhooks: no bearer token; each verifies its provider's signature. Anyone can reach them, so
 * every body is capped (64 KiB) before anything reads it: real Twilio and Stripe payloads are a few KiB.
 */
export const webhookRoutes = new Hono<AppEnv>()
  .use("*", cappedBody(MAX_BODY_BYTES))
  .post("/twilio/sms", async (c) => {
    // Pairs, not an object: Twilio signs every value of a repeated parameter.
    // Decoded by hand: workerd warns on .text() of a form body, though UTF-8 is what Twilio sends.
    const pairs = [...new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()))];
    const url = new URL(c.req.url);
    // Twilio signs the URL it was configured with, which is PUBLIC_URL's. The request's own URL is built
    // from its Host header, which the sender chooses: it is used only when no PUBLIC_URL is configured.
    const { services } = c.var;
    const base = services.publicUrl.trim().replace(/\/$/, "");
    const signed = base ? `${base}${url.pathname}${url.search}` : c.req.url;
    const outcome = await handleInboundSms(services, signed, pairs, c.req.header("x-twilio-signature"));
    return c.body(outcome.body, outcome.status, { "content-type": "text/xml; charset=utf-8" });
  })
  // Twilio's delivery reports of the texts Infra Chat sent (StatusCallback), signed like inbound SMS.
  .post("/twilio/status", async (c) => {
    const pairs = [...new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()))];
    const url = new URL(c.req.url);
    const { services } = c.var;
    const urls = [c.req.url, `${services.publicUrl.replace(/\/$/, "")}${url.pathname}${url.search}`];
    const outcome = await handleTextStatus(services, urls, pairs, c.req.header("x-twilio-signature"));
    return c.body(null, outcome.status);
  })
  .post("/stripe", async (c) => {
    // The raw body, byte for byte: the signature covers it, not a re-serialisation.
    const outcome = await handleStripeWebhook(
      c.var.services,
      await c.req.text(),
      c.req.header("stripe-signature") ?? null,
      Math.floor(Date.now() / 1000),
    );
    return c.json(outcome.body, outcome.status);
  });

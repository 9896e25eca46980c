/**
 * Webhook hardening (issue 14 item 8): every `/webhooks/*` body is capped at 64 KiB and refused with 413
 * before any handler reads it — with an honest Content-Length, without one (a streamed body), and when the
 * Content-Length understates the body. A correctly signed oversized SMS proves nothing was parsed: its
 * MessageSid is never claimed.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { computeTwilioSignature } from "../../src/security/twilio-signature";

const URL_SMS = "https://infra-chat.test/webhooks/twilio/sms";
const MiB = 1024 * 1024;

/** A signed inbound-SMS form whose Body pads it to about `bytes`. */
async function signedSms(bytes: number) {
  const sid = `SM${crypto.randomUUID().replaceAll("-", "")}`;
  const pairs: [string, string][] = [
    ["MessageSid", sid],
    ["AccountSid", `AC${"0".repeat(32)}`],
    ["From", "+15550000001"],
    ["To", "+15550009999"],
    ["Body", "x".repeat(bytes)],
  ];
  const signature = await computeTwilioSignature("sandbox-twilio-auth-token", URL_SMS, pairs);
  return { sid, form: new URLSearchParams(pairs).toString(), signature };
}

/** A body delivered in 16 KiB chunks with no Content-Length (chunked transfer). */
function streamOf(text: string, chunk = 16 * 1024): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

async function claimed(sid: string): Promise<boolean> {
  return (await env.DB.prepare("SELECT 1 FROM sms_inbound WHERE message_sid = ?").bind(sid).first()) !== null;
}

async function post(path: string, body: BodyInit, headers: Record<string, string>) {
  const res = await SELF.fetch(`https://infra-chat.test${path}`, { method: "POST", body, headers });
  return { status: res.status, body: (await res.json().catch(() => null)) as { error?: { code: string } } | null };
}

describe("webhook body cap", () => {
  it("refuses a 1 MiB signed SMS with 413 before the handler claims its MessageSid", async () => {
    const sms = await signedSms(MiB);
    const res = await post("/webhooks/twilio/sms", sms.form, {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": sms.signature,
    });
    expect(res.status).toBe(413);
    expect(res.body?.error?.code).toBe("payload_too_large");
    expect(await claimed(sms.sid)).toBe(false);
  });

  it("counts a streamed body without Content-Length and stops at the cap", async () => {
    const sms = await signedSms(MiB);
    const res = await post("/webhooks/twilio/sms", streamOf(sms.form), {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": sms.signature,
    });
    expect(res.status).toBe(413);
    expect(await claimed(sms.sid)).toBe(false);
  });

  it("does not trust a Content-Length that understates the body", async () => {
    const sms = await signedSms(MiB);
    const res = await post("/webhooks/twilio/sms", streamOf(sms.form), {
      "content-type": "application/x-www-form-urlencoded",
      "content-length": "512",
      "x-twilio-signature": sms.signature,
    });
    expect(res.status).toBe(413);
    expect(await claimed(sms.sid)).toBe(false);
  });

  it("caps the Stripe webhook the same way", async () => {
    const res = await post("/webhooks/stripe", streamOf(JSON.stringify({ pad: "x".repeat(MiB) })), {
      "content-type": "application/json",
      "stripe-signature": "t=1,v1=00",
    });
    expect(res.status).toBe(413);
  });

  it("still serves a signed SMS just under the cap", async () => {
    const sms = await signedSms(60 * 1024);
    const res = await SELF.fetch(URL_SMS, {
      method: "POST",
      body: sms.form,
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": sms.signature },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/xml/);
    expect(await claimed(sms.sid)).toBe(true);
  });
});

/**
 * The sandbox's Twilio delivery status callbacks (issue 14 items 8–9): a text sent with StatusCallback gets
 * queued → sent → delivered POSTed there, signed exactly as Twilio signs (the Worker's own verifier in
 * `/webhooks/twilio/sms` accepts them), in-process to the Worker for URLs under PUBLIC_URL; a twilio
 * "undelivered" fault makes the next texts end undelivered with an ErrorCode, "failed" never sends them.
 */
import { env, runDurableObjectAlarm, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const ACCOUNT_SID = `AC${"0".repeat(32)}`;
const OWN_SMS_WEBHOOK = "http://localhost:8787/webhooks/twilio/sms";
const STATUS_ROUTE = "http://localhost:8787/webhooks/twilio/status";

type Stub = ReturnType<typeof world>;
function world(name: string) {
  return env.SANDBOX_WORLD.getByName(`twilio-cb-${name}`);
}

async function send(stub: Stub, to: string, statusCallback?: string) {
  const form = new URLSearchParams({ To: to, From: "+15550009999", Body: "canary rolled back" });
  if (statusCallback) form.set("StatusCallback", statusCallback);
  const res = await stub.fetch(
    new Request(`https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, {
      method: "POST",
      headers: {
        authorization: `Basic ${btoa(`${ACCOUNT_SID}:${env.TWILIO_AUTH_TOKEN}`)}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: form.toString(),
    }),
  );
  return { status: res.status, body: (await res.json()) as { sid: string; status: string; code?: number } };
}

async function message(stub: Stub, sid: string) {
  const res = await stub.fetch(
    new Request(`https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}.json`, {
      headers: { authorization: `Basic ${btoa(`${ACCOUNT_SID}:${env.TWILIO_AUTH_TOKEN}`)}` },
    }),
  );
  return (await res.json()) as { status: string; error_code: number | null; error_message: string | null };
}

describe("status callbacks", () => {
  it("posts queued, sent, delivered to the Worker itself, signed so its own verifier accepts them", async () => {
    const stub = world("delivered");
    const sent = await send(stub, "+15550001001", OWN_SMS_WEBHOOK);
    expect([sent.status, sent.body.status]).toEqual([201, "queued"]);
    const callbacks = (await stub.sendStatusCallbacks()).filter((c) => c.sid === sent.body.sid).reverse();
    expect(callbacks.map((c) => [c.status, c.responseStatus, c.errorCode])).toEqual([
      ["queued", 200, null],
      ["sent", 200, null],
      ["delivered", 200, null],
    ]);
    // The Worker's Twilio webhook checks X-Twilio-Signature with TWILIO_AUTH_TOKEN: 200, not 403.
    expect(callbacks.every((c) => c.url === OWN_SMS_WEBHOOK && c.sentAt !== null)).toBe(true);
    // Sent once: a second flush finds nothing due.
    expect((await stub.sendStatusCallbacks()).filter((c) => c.sid === sent.body.sid)).toHaveLength(3);
  });

  it("sends from the object's alarm, and records a missing route or a URL outside the sandbox", async () => {
    const stub = world("alarm");
    const toRoute = await send(stub, "+15550001001", STATUS_ROUTE);
    const outside = await send(stub, "+15550001002", "https://hooks.example.com/twilio");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const { twilio } = await stub.state();
    const of = (sid: string) => twilio.statusCallbacks.filter((c) => c.sid === sid);
    // The Worker's /webhooks/twilio/status takes them (204): a SID it did not send changes nothing there.
    expect(of(toRoute.body.sid).map((c) => c.responseStatus)).toEqual([204, 204, 204]);
    expect(
      of(outside.body.sid).every((c) => c.responseStatus === null && /outside the sandbox/.test(c.note ?? "")),
    ).toBe(true);
  });

  it("refuses a StatusCallback that is not a URL with Twilio's 21609", async () => {
    const res = await send(world("bad-url"), "+15550001001", "not a url");
    expect([res.status, res.body.code]).toEqual([400, 21609]);
  });
});

describe("delivery faults", () => {
  it("makes the next text undelivered (30034) after it was sent; the one after is delivered", async () => {
    const stub = world("undelivered");
    const fault = await stub.addFault({ kind: "provider", provider: "twilio", status: "undelivered", count: 1 });
    expect(fault.ok).toBe(true);
    const doomed = await send(stub, "+15550001001", OWN_SMS_WEBHOOK);
    const fine = await send(stub, "+15550001002", OWN_SMS_WEBHOOK);
    expect([doomed.status, doomed.body.status]).toEqual([201, "queued"]);
    const callbacks = await stub.sendStatusCallbacks();
    expect(
      callbacks
        .filter((c) => c.sid === doomed.body.sid)
        .reverse()
        .map((c) => [c.status, c.errorCode]),
    ).toEqual([
      ["queued", null],
      ["sent", null],
      ["undelivered", "30034"],
    ]);
    expect(callbacks.filter((c) => c.sid === fine.body.sid)[0].status).toBe("delivered");
    expect(await message(stub, doomed.body.sid)).toMatchObject({
      status: "undelivered",
      error_code: 30034,
      error_message: "Message from an unregistered number",
    });
    const sms = await stub.sms();
    expect(sms.find((m) => m.sid === doomed.body.sid)).toMatchObject({ status: "undelivered", errorCode: 30034 });
    expect(sms.find((m) => m.sid === fine.body.sid)).toMatchObject({ status: "delivered", errorCode: null });
  });

  it("fails a text outright under a failed fault (no sent), and leaves Twilio's API answers alone", async () => {
    const stub = world("failed");
    await stub.addFault({ kind: "provider", provider: "twilio", status: "failed", errorCode: 30007 });
    const sent = await send(stub, "+15550001001", OWN_SMS_WEBHOOK);
    expect(sent.status).toBe(201);
    // Reads are not deliveries: the fault does not touch them.
    expect((await message(stub, sent.body.sid)).status).toBe("failed");
    const callbacks = (await stub.sendStatusCallbacks()).filter((c) => c.sid === sent.body.sid).reverse();
    expect(callbacks.map((c) => [c.status, c.errorCode])).toEqual([
      ["queued", null],
      ["failed", "30007"],
    ]);
  });

  it("is a Twilio fault only, through POST /sandbox/faults", async () => {
    const post = (body: unknown) =>
      SELF.fetch("https://infra-chat.test/sandbox/faults", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await post({ kind: "provider", provider: "railway", status: "undelivered" })).status).toBe(400);
    const added = await post({ kind: "provider", provider: "twilio", status: "undelivered" });
    expect(added.status).toBe(201);
    expect(((await added.json()) as { fault: { status: string } }).fault.status).toBe("undelivered");
    await SELF.fetch("https://infra-chat.test/sandbox/faults", { method: "DELETE" });
  });
});

/**
 * Twilio, inside workerd: X-Twilio-Signature against every published and self-computed vector (and
 * against single-character tampering), the SMS adapter's wire format and error mapping, the SMS reply
 * grammar, and TwiML escaping.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import vectorFile from "../fixtures/providers/signature-vectors.json";
import { parseSmsCommand, twiml, type SmsCommand } from "../../src/notify/sms-commands";
import { createTwilioSms, TWILIO_SEND_OPERATION } from "../../src/providers/twilio/adapter";
import type { ProviderContext, Receipt } from "../../src/providers/types";
import {
  computeTwilioSignature,
  verifyTwilioBodyHash,
  verifyTwilioSignature,
} from "../../src/security/twilio-signature";
import { failureOf } from "./helpers";

// The fixture also carries Stripe's vectors (used by the Stripe tests); only the Twilio ones apply here.
const Vectors = z.object({
  twilio: z.array(
    z.object({
      id: z.string(),
      authToken: z.string(),
      url: z.string(),
      params: z.record(z.string(), z.string()).optional(),
      rawBody: z.string().optional(),
      expectedBodySHA256: z.string().optional(),
      expectedSignature: z.string(),
    }),
  ),
  stripe: z.array(z.unknown()),
});
const vectors = Vectors.parse(vectorFile).twilio;
const byId = (id: string) => {
  const vector = vectors.find((v) => v.id === id);
  if (!vector) throw new Error(`missing vector ${id}`);
  return vector;
};

/** Substitutes the character at `i` with a different one (letters only, so no ':' or '/' is introduced). */
const mutateAt = (text: string, i: number) => text.slice(0, i) + (text[i] === "x" ? "y" : "x") + text.slice(i + 1);

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("X-Twilio-Signature", () => {
  it.each(vectors.map((v) => [v.id, v] as const))("accepts vector %s", async (_id, v) => {
    // JSON-body requests are signed over the URL alone; their body is bound by the bodySHA256 parameter.
    const params = v.params ?? {};
    expect(await verifyTwilioSignature(v.authToken, v.url, params, v.expectedSignature)).toBe(true);
    if (v.rawBody !== undefined) {
      expect(await sha256Hex(v.rawBody)).toBe(v.expectedBodySHA256);
      expect(await verifyTwilioBodyHash(v.url, v.rawBody)).toBe(true);
      expect(await verifyTwilioBodyHash(v.url, `${v.rawBody} `)).toBe(false);
    }
  });

  it("computes the published signatures from the URL as given", async () => {
    expect(vectors).toHaveLength(5);
    for (const v of vectors.filter((v) => !v.id.includes("port-variant"))) {
      expect(await computeTwilioSignature(v.authToken, v.url, v.params ?? {}), v.id).toBe(v.expectedSignature);
    }
  });

  it("accepts the empty-body vector only because the default port is also tried", async () => {
    const v = byId("twilio-json-empty-body-port-variant-published");
    expect(await computeTwilioSignature(v.authToken, v.url, {})).toBe("rw/jVviOgicj2+kHZULvebnA4ag=");
    const withPort = v.url.replace("https://mycompany.com/", "https://mycompany.com:443/");
    expect(await computeTwilioSignature(v.authToken, withPort, {})).toBe(v.expectedSignature);
    // Either spelling of the URL verifies, since Twilio may have signed either.
    expect(await verifyTwilioSignature(v.authToken, withPort, {}, v.expectedSignature)).toBe(true);
    expect(await verifyTwilioSignature(v.authToken, withPort, {}, "rw/jVviOgicj2+kHZULvebnA4ag=")).toBe(true);
  });

  // Further published cases from twilio-node spec/validation.spec.js (same token, URL and params as vector 1).
  it("matches twilio-node's port, credential and repeated-parameter cases", async () => {
    const form = byId("twilio-form-published");
    const token = form.authToken;
    const params = form.params ?? {};
    const http = form.url.replace("https:", "http:");
    expect(await verifyTwilioSignature(token, form.url, params, "kvajT1Ptam85bY51eRf/AJRuM3w=")).toBe(true); // signed with :443
    expect(await verifyTwilioSignature(token, http, params, "0ZXoZLH/DfblKGATFgpif+LLRf4=")).toBe(true); // signed with :80
    const port1234 = http.replace(".com", ".com:1234");
    expect(await verifyTwilioSignature(token, port1234, params, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=")).toBe(true);
    const creds = form.url.replace("https://", "https://user:pass@");
    expect(await verifyTwilioSignature(token, creds, params, "CukzLTc1tT5dXEDIHm/tKBanW10=")).toBe(true);
    expect(await verifyTwilioSignature(token, creds, params, "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=")).toBe(true); // with :443
    expect(
      await verifyTwilioSignature(token, `${form.url}&Body=It's+amazing`, params, "dsq4Ehbj6cs+KdTkpF5sSSplOWw="),
    ).toBe(true);

    const address = "MessagingBinding.Address";
    for (const pairs of [
      [
        [address, "+1325xxxxxxx"],
        [address, "+1415xxxxxxx"],
      ],
      [
        [address, "+1415xxxxxxx"],
        [address, "+1325xxxxxxx"],
      ],
    ] as [string, string][][]) {
      expect(await verifyTwilioSignature(token, form.url, pairs, "83O6e2vORAoJHUNzJjDWN1jz+BA=")).toBe(true);
    }
    // A repeated value counts once: Digits=5678, 1234, 1234 signs as Digits1234Digits5678.
    const repeated: [string, string][] = [
      ["Sid", "CA123"],
      ["Digits", "5678"],
      ["SidAccount", "AC123"],
      ["Digits", "1234"],
      ["Digits", "1234"],
    ];
    expect(await computeTwilioSignature(token, form.url, repeated)).toBe("IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    expect(await verifyTwilioSignature(token, form.url, repeated.slice(0, 4), "IK+Dwps556ElfBT0I3Rgjkr1wJU=")).toBe(
      true,
    );
    expect(await verifyTwilioSignature(token, form.url, repeated.slice(0, 3), "IK+Dwps556ElfBT0I3Rgjkr1wJU=")).toBe(
      false,
    );
  });

  for (const id of [
    "twilio-form-published",
    "twilio-inbound-sms-self-computed",
    "twilio-json-empty-body-port-variant-published",
  ]) {
    it(`rejects ${id} after any single-character change to the URL, a parameter or the token`, async () => {
      const v = byId(id);
      const params = v.params ?? {};
      const verify = (token: string, url: string, p: Record<string, string>) =>
        verifyTwilioSignature(token, url, p, v.expectedSignature);
      const accepted: string[] = [];
      for (let i = 0; i < v.url.length; i++) {
        if (await verify(v.authToken, mutateAt(v.url, i), params)) accepted.push(`url[${i}]`);
      }
      for (let i = 0; i < v.authToken.length; i++) {
        if (await verify(mutateAt(v.authToken, i), v.url, params)) accepted.push(`token[${i}]`);
      }
      for (const [name, value] of Object.entries(params)) {
        const others = Object.fromEntries(Object.entries(params).filter(([n]) => n !== name));
        for (let i = 0; i < name.length; i++) {
          if (await verify(v.authToken, v.url, { ...others, [mutateAt(name, i)]: value }))
            accepted.push(`${name} name[${i}]`);
        }
        for (let i = 0; i < value.length; i++) {
          if (await verify(v.authToken, v.url, { ...params, [name]: mutateAt(value, i) }))
            accepted.push(`${name} value[${i}]`);
        }
        if (await verify(v.authToken, v.url, others)) accepted.push(`${name} removed`);
      }
      if (await verify(v.authToken, v.url, { ...params, Extra: "1" })) accepted.push("extra parameter");
      expect(accepted).toEqual([]);
    });
  }

  it("rejects a missing, empty, garbled or differently cased header, and an empty token", async () => {
    const v = byId("twilio-form-published");
    const params = v.params ?? {};
    for (const header of [
      null,
      undefined,
      "",
      "WRONG_SIGNATURE",
      `${v.expectedSignature}x`,
      v.expectedSignature.slice(0, -1),
      v.expectedSignature.toLowerCase(),
    ]) {
      expect(await verifyTwilioSignature(v.authToken, v.url, params, header), String(header)).toBe(false);
    }
    expect(await verifyTwilioSignature("", v.url, params, v.expectedSignature)).toBe(false);
  });

  it("treats a parameter list without repeats exactly like the same object", async () => {
    const v = byId("twilio-inbound-sms-self-computed");
    const pairs = Object.entries(v.params ?? {}).reverse();
    expect(await computeTwilioSignature(v.authToken, v.url, pairs)).toBe(v.expectedSignature);
  });

  it("refuses a body hash check when the URL carries no bodySHA256", async () => {
    expect(await verifyTwilioBodyHash("https://mycompany.com/myapp.php?foo=1", "{}")).toBe(false);
    expect(await verifyTwilioBodyHash("not a url", "{}")).toBe(false);
  });
});

const ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
const SERVICE_SID = "MG0123456789abcdef0123456789abcdef";
const MESSAGE_SID = "SM0123456789abcdef0123456789abcdef";

/** A fake Twilio that records each request and answers with the next scripted response. */
function fakeTwilio(replies: Response[]) {
  const requests: { url: string; method: string; headers: Headers; body: string }[] = [];
  const receipts: Receipt[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    requests.push({
      url: String(input),
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      body: String(init?.body),
    });
    const reply = replies.shift();
    if (!reply) throw new Error(`unexpected request #${requests.length}`);
    return reply;
  };
  const ctx: ProviderContext = { fetch, onReceipt: (r) => receipts.push(r), sleep: async () => {} };
  return { ctx, requests, receipts };
}

const created = (status = "queued") =>
  Response.json({ sid: MESSAGE_SID, status, to: "+15550000001", body: "x" }, { status: 201 });

/** The ProviderError a call failed with (fails the test if it succeeded or threw something else). */
describe("Twilio SMS adapter", () => {
  it("POSTs a form-encoded message with Basic auth to the account's Messages.json, with one receipt", async () => {
    const { ctx, requests, receipts } = fakeTwilio([created()]);
    const sms = createTwilioSms(ctx, { accountSid: ACCOUNT_SID, authToken: "tw-secret", from: "+15550009999" });
    const callback = "https://cp.example.com/webhooks/twilio/status";
    await expect(
      sms.send({ to: "+15550000001", body: "Canary 10% healthy & soaking", statusCallback: callback }),
    ).resolves.toEqual({ sid: MESSAGE_SID, status: "queued" });
    const [request] = requests;
    expect(request.method).toBe("POST");
    expect(request.url).toBe(`https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(request.headers.get("Authorization")).toBe(`Basic ${btoa(`${ACCOUNT_SID}:tw-secret`)}`);
    expect(request.headers.get("Content-Type")).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      To: "+15550000001",
      From: "+15550009999",
      Body: "Canary 10% healthy & soaking",
      StatusCallback: callback,
    });
    expect(receipts).toMatchObject([
      {
        provider: "twilio",
        operation: TWILIO_SEND_OPERATION,
        status: 201,
        attempts: 1,
        responseIds: { messageSid: MESSAGE_SID },
      },
    ]);
    expect(JSON.stringify(receipts)).not.toContain("tw-secret");
  });

  it("sends MessagingServiceSid instead of From when only a Messaging Service is configured", async () => {
    const { ctx, requests } = fakeTwilio([created("accepted")]);
    const sms = createTwilioSms(ctx, {
      accountSid: ACCOUNT_SID,
      authToken: "t",
      messagingServiceSid: SERVICE_SID,
      apiBase: "https://twilio.test/",
    });
    await expect(sms.send({ to: "+15550000001", body: "hi" })).resolves.toEqual({
      sid: MESSAGE_SID,
      status: "accepted",
    });
    expect(requests[0].url).toBe(`https://twilio.test/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(Object.fromEntries(new URLSearchParams(requests[0].body))).toEqual({
      To: "+15550000001",
      MessagingServiceSid: SERVICE_SID,
      Body: "hi",
    });
  });

  it("maps Twilio error 21211 to a non-retryable ProviderError naming the code, in the error and the receipt", async () => {
    const error21211 = {
      code: 21211,
      message: "The 'To' number 5551234 is not a valid phone number.",
      more_info: "https://www.twilio.com/docs/errors/21211",
      status: 400,
    };
    const { ctx, requests, receipts } = fakeTwilio([Response.json(error21211, { status: 400 })]);
    const error = await failureOf(
      createTwilioSms(ctx, { accountSid: ACCOUNT_SID, authToken: "t", from: "+15550009999" }).send({
        to: "5551234",
        body: "hi",
      }),
    );
    expect(error).toMatchObject({ provider: "twilio", status: 400, retryable: false, ambiguous: false });
    expect(error.message).toContain("Twilio error 21211");
    expect(error.message).toContain("is not a valid phone number");
    expect(requests).toHaveLength(1);
    expect(receipts).toHaveLength(1);
    expect(receipts[0].error).toContain("21211");
  });

  it("re-sends only after a 429 (not processed); a 5xx is ambiguous and never re-sent, since that could text twice", async () => {
    const busy = fakeTwilio([
      Response.json(
        { code: 20429, message: "Too Many Requests", status: 429 },
        { status: 429, headers: { "Retry-After": "1" } },
      ),
      created(),
    ]);
    await createTwilioSms(busy.ctx, { accountSid: ACCOUNT_SID, authToken: "t", from: "+15550009999" }).send({
      to: "+15550000001",
      body: "hi",
    });
    expect(busy.requests).toHaveLength(2);
    expect(busy.receipts).toMatchObject([{ attempts: 2, status: 201 }]);

    const broken = fakeTwilio([new Response("oops", { status: 503 }), created()]);
    const error = await failureOf(
      createTwilioSms(broken.ctx, { accountSid: ACCOUNT_SID, authToken: "t", from: "+15550009999" }).send({
        to: "+15550000001",
        body: "hi",
      }),
    );
    expect(error).toMatchObject({ ambiguous: true, status: 503 });
    expect(broken.requests).toHaveLength(1);
  });

  it("cuts a body over 1600 characters to 1600 ending in an ellipsis, without splitting an emoji", async () => {
    const { ctx, requests } = fakeTwilio([created(), created(), created()]);
    const sms = createTwilioSms(ctx, { accountSid: ACCOUNT_SID, authToken: "t", from: "+15550009999" });
    const exact = "a".repeat(1600);
    await sms.send({ to: "+15550000001", body: exact });
    await sms.send({ to: "+15550000001", body: "b".repeat(2000) });
    await sms.send({ to: "+15550000001", body: `${"c".repeat(1598)}😀tail` });
    const bodies = requests.map((r) => new URLSearchParams(r.body).get("Body") ?? "");
    expect(bodies[0]).toBe(exact);
    expect(bodies[1]).toBe(`${"b".repeat(1599)}…`);
    expect(bodies[2]).toBe(`${"c".repeat(1598)}…`);
    expect(bodies.map((b) => b.length <= 1600)).toEqual([true, true, true]);
  });

  it("refuses a malformed account SID, a malformed service SID or no sender when built", () => {
    const { ctx } = fakeTwilio([]);
    expect(() => createTwilioSms(ctx, { accountSid: "AC123/../x", authToken: "t", from: "+1555" })).toThrow(
      /accountSid/,
    );
    expect(() => createTwilioSms(ctx, { accountSid: ACCOUNT_SID, authToken: "t", messagingServiceSid: "MG1" })).toThrow(
      /messagingServiceSid/,
    );
    expect(() => createTwilioSms(ctx, { accountSid: ACCOUNT_SID, authToken: "t" })).toThrow(/sender/);
    expect(() => createTwilioSms(ctx, { accountSid: ACCOUNT_SID, authToken: "", from: "+1555" })).toThrow(/authToken/);
  });
});

describe("SMS reply grammar", () => {
  const rows: [string, SmsCommand][] = [
    ["YES 482193", { kind: "approve", code: "482193" }],
    ["yes 482193", { kind: "approve", code: "482193" }],
    ["  Yes   482193  ", { kind: "approve", code: "482193" }],
    ["YES 482193.", { kind: "approve", code: "482193" }],
    ["Yes, 482193!", { kind: "approve", code: "482193" }],
    ["YES ４８２１９３", { kind: "approve", code: "482193" }],
    ["NO 4821", { kind: "reject", code: "4821" }],
    ["no 00012345?", { kind: "reject", code: "00012345" }],
    ["ACK 482193", { kind: "ack", code: "482193" }],
    ["ack\t482193…", { kind: "ack", code: "482193" }],
    ["ROLLBACK production", { kind: "rollback", env: "production" }],
    ["Rollback Production!", { kind: "rollback", env: "production" }],
    ["rollback invoice-perfect:production", { kind: "rollback", env: "invoice-perfect:production" }],
    ["STATUS staging", { kind: "status", env: "staging" }],
    ["status staging?", { kind: "status", env: "staging" }],
    ["YES", { kind: "unknown" }],
    ["YES abc123", { kind: "unknown" }],
    ["YES 123", { kind: "unknown" }],
    ["YES 123456789", { kind: "unknown" }],
    ["YES 482193 482194", { kind: "unknown" }],
    ["YES482193", { kind: "unknown" }],
    ["ROLLBACK", { kind: "unknown" }],
    ["ROLLBACK production now", { kind: "unknown" }],
    ["ROLLBACK ../etc", { kind: "unknown" }],
    ["STATUS <script>", { kind: "unknown" }],
    ["MAYBE 482193", { kind: "unknown" }],
    ["STOP", { kind: "unknown" }],
    ["", { kind: "unknown" }],
    ["   ", { kind: "unknown" }],
    ["👍", { kind: "unknown" }],
    ["please approve 482193", { kind: "unknown" }],
  ];

  it.each(rows)("reads %j", (body, expected) => {
    expect(parseSmsCommand(body)).toEqual(expected);
  });
});

describe("TwiML reply", () => {
  it("wraps a message and escapes XML special characters", () => {
    expect(twiml(`Run 4821 <prod> approved by "Ann" & Bob's team`)).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Run 4821 &lt;prod&gt; approved by &quot;Ann&quot; &amp; Bob&apos;s team</Message></Response>',
    );
  });

  it("answers an empty <Response/> when there is nothing to say, so Twilio sends no SMS", () => {
    expect(twiml()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    expect(twiml("  ")).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
  });

  it("drops characters XML 1.0 forbids and keeps the rest, emoji included", () => {
    expect(twiml("ok\u0000\u0007 ✅ 😀\uFFFE\uD800 done")).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>ok ✅ 😀 done</Message></Response>',
    );
  });

  it("cannot be broken out of by a CDATA or closing-tag injection", () => {
    const out = twiml("</Message><Redirect>https://evil.test</Redirect><![CDATA[x]]>");
    expect(out.match(/<Message>/g)).toHaveLength(1);
    expect(out).not.toContain("<Redirect>");
    expect(out).not.toContain("<![CDATA[");
  });
});

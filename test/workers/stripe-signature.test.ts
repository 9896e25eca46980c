/**
 * Stripe-Signature inside workerd: the fixture vectors, single-character tampering with body, secret and
 * signature, the 300 s tolerance on both sides of now, secret rolls (several v1), ignored schemes, and the
 * exact reason given for each malformed header.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import vectorFile from "../fixtures/providers/signature-vectors.json";
import {
  computeStripeSignature,
  computeStripeSignatureHeader,
  verifyStripeSignature,
} from "../../src/security/stripe-signature";

// The fixture also carries Twilio's vectors (used by twilio.test.ts); only the Stripe ones apply here.
const Vectors = z.object({
  twilio: z.array(z.unknown()),
  stripe: z.array(
    z.object({
      id: z.string(),
      secret: z.string(),
      timestamp: z.number().int(),
      rawBody: z.string(),
      signedPayload: z.string(),
      expectedHeader: z.string(),
    }),
  ),
});
const vectors = Vectors.parse(vectorFile).stripe;
const [vector] = vectors;

/** Substitutes the character at `i` with a different one. */
const mutateAt = (text: string, i: number) => text.slice(0, i) + (text[i] === "x" ? "y" : "x") + text.slice(i + 1);
const verifyAt = (
  now: number,
  header: string | null = vector.expectedHeader,
  body = vector.rawBody,
  secret = vector.secret,
  tolerance?: number,
) => verifyStripeSignature(secret, body, header, now, tolerance);

describe("Stripe-Signature", () => {
  it.each(vectors.map((v) => [v.id, v] as const))("accepts vector %s and reproduces its header", async (_id, v) => {
    expect(v.signedPayload).toBe(`${v.timestamp}.${v.rawBody}`);
    expect(await computeStripeSignatureHeader(v.secret, v.rawBody, v.timestamp)).toBe(v.expectedHeader);
    expect(await verifyStripeSignature(v.secret, v.rawBody, v.expectedHeader, v.timestamp)).toEqual({
      ok: true,
      timestamp: v.timestamp,
    });
  });

  it("rejects the vector after any single-character change to the body, the secret or the signature", async () => {
    const accepted: string[] = [];
    for (let i = 0; i < vector.rawBody.length; i++) {
      if ((await verifyAt(vector.timestamp, undefined, mutateAt(vector.rawBody, i))).ok) accepted.push(`body[${i}]`);
    }
    for (let i = 0; i < vector.secret.length; i++) {
      if ((await verifyAt(vector.timestamp, undefined, undefined, mutateAt(vector.secret, i))).ok)
        accepted.push(`secret[${i}]`);
    }
    const signatureStart = vector.expectedHeader.indexOf("v1=") + 3;
    for (let i = signatureStart; i < vector.expectedHeader.length; i++) {
      if ((await verifyAt(vector.timestamp, mutateAt(vector.expectedHeader, i))).ok) accepted.push(`v1[${i}]`);
    }
    expect(accepted).toEqual([]);
    expect(await verifyAt(vector.timestamp, undefined, `${vector.rawBody} `)).toEqual({
      ok: false,
      reason: "no_valid_signature",
    });
    expect(
      await verifyAt(vector.timestamp, undefined, JSON.stringify(JSON.parse(vector.rawBody), null, 1)),
    ).toMatchObject({ ok: false });
  });

  it("binds the timestamp: the same signature under another t is refused", async () => {
    const moved = vector.expectedHeader.replace(`t=${vector.timestamp}`, `t=${vector.timestamp + 1}`);
    expect(await verifyAt(vector.timestamp + 1, moved)).toEqual({ ok: false, reason: "no_valid_signature" });
  });

  it("accepts up to 300 s either side of now and refuses beyond, by default", async () => {
    const t = vector.timestamp;
    expect(await verifyAt(t + 300)).toEqual({ ok: true, timestamp: t });
    expect(await verifyAt(t + 300.5)).toEqual({ ok: false, reason: "timestamp_out_of_tolerance" });
    expect(await verifyAt(t + 86_400)).toEqual({ ok: false, reason: "timestamp_out_of_tolerance" });
    expect(await verifyAt(t - 300)).toEqual({ ok: true, timestamp: t }); // sender's clock 5 min ahead
    expect(await verifyAt(t - 301)).toEqual({ ok: false, reason: "timestamp_out_of_tolerance" });
    expect(await verifyAt(t + 61, undefined, undefined, undefined, 60)).toEqual({
      ok: false,
      reason: "timestamp_out_of_tolerance",
    });
    expect(await verifyAt(t + 60, undefined, undefined, undefined, 60)).toEqual({ ok: true, timestamp: t });
  });

  it("checks the signature before the age, so a stale forgery is reported as a forgery", async () => {
    expect(await verifyAt(vector.timestamp + 10_000, undefined, `${vector.rawBody}x`)).toEqual({
      ok: false,
      reason: "no_valid_signature",
    });
  });

  it("refuses a negative or non-finite tolerance instead of skipping the age check", async () => {
    await expect(verifyAt(vector.timestamp, undefined, undefined, undefined, -1)).rejects.toThrow(RangeError);
    await expect(verifyAt(vector.timestamp, undefined, undefined, undefined, Number.POSITIVE_INFINITY)).rejects.toThrow(
      RangeError,
    );
  });

  it("accepts when any one of several v1 signatures is valid (secret roll), ignoring v0 and unknown schemes", async () => {
    const good = await computeStripeSignature(vector.secret, vector.rawBody, vector.timestamp);
    const old = await computeStripeSignature("whsec_old_secret", vector.rawBody, vector.timestamp);
    const t = `t=${vector.timestamp}`;
    for (const header of [
      `${t},v1=${old},v1=${good}`,
      `${t},v1=${good},v1=${old}`,
      `v1=${old},${t},v0=${old},v1=${good},v9=zz`,
      ` ${t} , v1=${good} `,
    ]) {
      expect(await verifyAt(vector.timestamp, header), header).toEqual({ ok: true, timestamp: vector.timestamp });
    }
    expect(await verifyAt(vector.timestamp, `${t},v0=${good}`)).toEqual({ ok: false, reason: "no_valid_signature" });
    expect(await verifyAt(vector.timestamp, `${t},v1=${good.toUpperCase()}`)).toEqual({
      ok: false,
      reason: "no_valid_signature",
    });
    expect(await verifyAt(vector.timestamp, `${t},v1=${old},v1=`)).toEqual({ ok: false, reason: "no_valid_signature" });
  });

  it.each([
    [null, "missing_header"],
    ["", "missing_header"],
    ["   ", "missing_header"],
    ["garbage", "malformed_header"],
    ["v1=abc", "malformed_header"],
    ["t=,v1=abc", "malformed_header"],
    ["t=17e8,v1=abc", "malformed_header"],
    ["t=-1,v1=abc", "malformed_header"],
    ["t=1700000000;v1=abc", "malformed_header"],
    [",t=1700000000,v1=abc", "malformed_header"],
    ["t=1700000000,,v1=abc", "malformed_header"],
    ["=x,t=1700000000", "malformed_header"],
    ["t=1700000000,t=1700000001,v1=abc", "malformed_header"],
    ["t=1700000000", "no_valid_signature"],
  ] as const)("classifies header %j as %s", async (header, reason) => {
    expect(await verifyAt(vector.timestamp, header)).toEqual({ ok: false, reason });
  });

  it("verifies nothing with an empty secret, and signs and verifies a non-ASCII body byte for byte", async () => {
    expect(await verifyAt(vector.timestamp, undefined, undefined, "")).toEqual({
      ok: false,
      reason: "no_valid_signature",
    });
    const body = '{"id":"evt_1","object":"event","data":{"name":"Zoë ✅ 😀"}}';
    const header = await computeStripeSignatureHeader("whsec_sandbox", body, 1_800_000_000);
    expect(await verifyStripeSignature("whsec_sandbox", body, header, 1_800_000_000)).toEqual({
      ok: true,
      timestamp: 1_800_000_000,
    });
    expect((await verifyStripeSignature("whsec_sandbox", body.normalize("NFD"), header, 1_800_000_000)).ok).toBe(false);
    await expect(computeStripeSignatureHeader("whsec_sandbox", body, 1.5)).rejects.toThrow(RangeError);
  });
});

/**
 * The Twilio signature check is linear in the number of parameters (issue 14 item 8): one unsigned POST
 * repeating a name 60,000 times once stalled the Worker for 20 s, because every append copied the value
 * list. Measured as work, not wall time: CPU time of the same check at 6,000 and 60,000 parameters (best
 * of three each). Linear work grows about 10× (the sorts add a little); the quadratic version grew about
 * 100×, so the bound of 40× separates them with room for a busy machine. Node, not workerd: workerd
 * freezes clocks during synchronous work.
 */
import { cpuUsage } from "node:process";
import { describe, expect, it } from "vitest";
import { computeTwilioSignature, verifyTwilioSignature } from "../../src/security/twilio-signature";

const URL = "https://infra-chat.example/webhooks/twilio/sms";

function repeated(n: number, distinctNames: boolean): [string, string][] {
  return Array.from({ length: n }, (_, i) => [distinctNames ? `P${i}` : "Body", `v${i}`] as [string, string]);
}

/** CPU microseconds of one forged-signature check (every URL variant is tried), best of three. */
async function checkCost(pairs: [string, string][]): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const before = cpuUsage();
    expect(await verifyTwilioSignature("token", URL, pairs, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")).toBe(false);
    const used = cpuUsage(before);
    best = Math.min(best, used.user + used.system);
  }
  return best;
}

describe("Twilio signature work", () => {
  it.each([
    ["one repeated name", false],
    ["distinct names", true],
  ])("grows linearly from 6,000 to 60,000 parameters (%s)", async (_label, distinct) => {
    const small = await checkCost(repeated(6_000, distinct));
    const large = await checkCost(repeated(60_000, distinct));
    expect(large / Math.max(small, 1)).toBeLessThan(40);
  });

  it("still signs every value of a repeated name once, values sorted", async () => {
    const pairs: [string, string][] = [
      ["To", "+1"],
      ["MediaUrl", "b"],
      ["MediaUrl", "a"],
      ["MediaUrl", "b"],
    ];
    const expected = await computeTwilioSignature("token", URL, { MediaUrl: "a", To: "+1" });
    const withB = await computeTwilioSignature("token", URL, pairs);
    expect(withB).not.toBe(expected);
    // Same string as signing "MediaUrla" + "MediaUrlb" + "To+1": order of arrival does not matter.
    expect(
      await computeTwilioSignature("token", URL, [
        ["MediaUrl", "a"],
        ["To", "+1"],
        ["MediaUrl", "b"],
      ]),
    ).toBe(withB);
  });
});

/**
 * Twilio delivery status (issue 14, item 8): every text goes out with StatusCallback to
 * /webhooks/twilio/status; a callback is honoured only when signed, and only once; an alert the sandbox's
 * carrier marks undelivered escalates to the next destination at once and shows in the incident and the
 * run it belongs to.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { sandboxWorld } from "../../src/dev/wiring";
import { computeTwilioSignature } from "../../src/security/twilio-signature";
import { api, driveRun, makeUser, seedWorld } from "./helpers";
import { changeSpec, monitorClock } from "./monitoring-support";

const ON_CALL = "+15550000001";
const NEXT = "+15550009101";
const STATUS_URL = "http://localhost:8787/webhooks/twilio/status";
let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
const clock = monitorClock();

beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin", "+15550009102");
  await sandboxWorld(env).account({ railwayPlan: "pro" });
  await changeSpec(ids.staging, (spec) => {
    spec.policies.notify = [ON_CALL];
    spec.policies.monitoring.escalation.chain = [NEXT];
  });
});

const textsTo = async (phone: string) => (await sandboxWorld(env).sms()).filter((m) => m.to === phone);

async function callback(pairs: [string, string][], signature?: string) {
  const sig = signature ?? (await computeTwilioSignature("sandbox-twilio-auth-token", STATUS_URL, pairs));
  return api(null, "POST", "/webhooks/twilio/status", new URLSearchParams(pairs).toString(), {
    "content-type": "application/x-www-form-urlencoded",
    "x-twilio-signature": sig,
  });
}

describe("Twilio status callbacks", { timeout: 120_000 }, () => {
  it("an incident alert the carrier does not deliver escalates to the next destination at once", async () => {
    // Two texts go out: the proposed restart's approval request (recorded, never forwarded), then the alert.
    await sandboxWorld(env).addFault({ kind: "provider", provider: "twilio", status: "undelivered", count: 2 });
    await sandboxWorld(env).addFault({ kind: "app", env: "staging", service: "api", track: "all", errorRate: 1 });
    const opened = (await clock.tick(ids.staging)).opened;
    expect(opened).toHaveLength(1);
    expect(await textsTo(NEXT)).toHaveLength(0);
    await sandboxWorld(env).sendStatusCallbacks();
    // Escalated now, not after the acknowledgement timeout: the chain's next phone has the alert.
    expect((await textsTo(NEXT)).map((m) => m.body)).toEqual([expect.stringMatching(/ESCALATED .* incident/)]);
    const incident = (await api(admin.token, "GET", `/api/incidents/${opened[0]}`)).body.incident;
    expect(incident.escalationLevel).toBe(1);
    expect(incident.notifications).toContainEqual(
      expect.objectContaining({ to: "+1…0001", level: 0, status: "undelivered", errorCode: "30034" }),
    );
    expect(incident.notifications).toContainEqual(expect.objectContaining({ to: "+1…9101", level: 1 }));
    // The same callbacks again (Twilio retries) change nothing: no second escalation.
    await sandboxWorld(env).sendStatusCallbacks();
    expect(await textsTo(NEXT)).toHaveLength(1);
    await sandboxWorld(env).clearFaults();
    await api(admin.token, "POST", `/api/incidents/${opened[0]}/ack`);
    await clock.tick(ids.staging);
  });

  it("a run's alert the carrier does not deliver goes to the next destination and shows in the run", async () => {
    await sandboxWorld(env).addFault({ kind: "deploy", env: "staging", service: "web", fail: "build" });
    await sandboxWorld(env).addFault({ kind: "provider", provider: "twilio", status: "undelivered", count: 1 });
    const plan = await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/plan", { type: "deploy" });
    const applied = await api(admin.token, "POST", `/api/plans/${plan.body.plan.id}/apply`);
    const failed = await driveRun(admin.token, applied.body.run.id, ids.staging);
    expect(failed.status).toBe("failed");
    await sandboxWorld(env).sendStatusCallbacks();
    const forwarded = (await textsTo(NEXT)).filter((m) => m.body.includes(failed.id));
    expect(forwarded.map((m) => m.body)).toEqual([
      expect.stringMatching(/^\(Not delivered to \+1…0001: undelivered, Twilio error 30034\.\) .*FAILED/),
    ]);
    const run = (await api(admin.token, "GET", `/api/runs/${failed.id}`)).body.run;
    expect(run.notifications).toEqual([
      expect.objectContaining({ to: "+1…0001", purpose: "failed", status: "undelivered", escalatedTo: "+1…9101" }),
      expect.objectContaining({ to: "+1…9101", purpose: "failed", level: 1 }),
    ]);
    const audit = await env.DB.prepare(
      "SELECT diff_summary FROM audit_events WHERE run_id = ? AND action = 'notify.undelivered'",
    )
      .bind(failed.id)
      .all<{ diff_summary: string }>();
    expect(audit.results.map((r) => r.diff_summary)).toEqual([
      "failed text to +1…0001 undelivered (Twilio error 30034): forwarded to +1…9101",
    ]);
  });
  it("every text carries StatusCallback to /webhooks/twilio/status, and an unsigned callback is refused", async () => {
    await sandboxWorld(env).addFault({ kind: "app", env: "staging", service: "api", track: "all", errorRate: 1 });
    await clock.tick(ids.staging);
    const twilio = (await sandboxWorld(env).requests({ provider: "twilio", limit: 50 })).filter(
      (r) => r.method === "POST",
    );
    expect(twilio.length).toBeGreaterThan(0);
    for (const r of twilio) expect((r.body as Record<string, string>).StatusCallback).toBe(STATUS_URL);
    const forged = await callback(
      [
        ["MessageSid", "SMx"],
        ["MessageStatus", "undelivered"],
      ],
      "bad-signature",
    );
    expect(forged.status).toBe(403);
    await sandboxWorld(env).clearFaults();
    await clock.tick(ids.staging);
  });
});

import { env } from "cloudflare:test";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sandboxWorld } from "../../src/wiring";
import { api, driveRun, expectError, makeUser, seedWorld } from "./helpers";
import { changeSpec, incidentsOf, monitorClock, sms } from "./monitoring-support";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
let viewer: Awaited<ReturnType<typeof makeUser>>;
const clock = monitorClock();
const ON_CALL = "+15550000001";
const SECOND = "+15550004002";
const THIRD = "+15550004003";
const LEAKED = `sk_live_incident${crypto.randomUUID().replaceAll("-", "")}`;

beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin", "+15550004001");
  viewer = await makeUser("viewer");
  // Staging: escalate to SECOND then THIRD after 5 unacknowledged minutes each; drift checked on demand.
  await changeSpec(ids.staging, (spec) => {
    spec.policies.monitoring = { quietSeconds: 120, escalation: { ackTimeoutSeconds: 300, chain: [SECOND, THIRD] } };
  });
  expect((await api(admin.token, "PUT", `/api/envs/${ids.staging}/secrets/LEAKY_KEY`, { value: LEAKED })).status).toBe(
    204,
  );
});
beforeEach(async () => {
  await sandboxWorld(env).clearFaults();
});

const textsTo = async (phone: string, incidentId: string) =>
  (await sandboxWorld(env).sms()).filter((m) => m.to === phone && m.body.includes(incidentId));

/** Clears faults and checks until staging has no open incident. */
async function settle() {
  await sandboxWorld(env).clearFaults();
  for (let i = 0; i < 80; i++) {
    await clock.tick(ids.staging);
    if ((await incidentsOf(admin.token, "invoice-perfect:staging", "open")).length === 0) return;
  }
  throw new Error("staging never settled");
}

describe("incident bundle", { timeout: 60_000 }, () => {
  it("holds incident.md, log excerpts, metrics and the diff since the last good release — and no secret value", async () => {
    // The app logs the secret value in its crash lines: the bundle must still never contain it.
    await sandboxWorld(env).addFault({
      kind: "app",
      env: "staging",
      service: "api",
      track: "all",
      errorRate: 1,
      logPattern: `FATAL config dump STRIPE=${LEAKED}`,
    });
    await clock.tick(ids.staging);
    // Two anomalies, two incidents: the 5xx rate and the critical log pattern.
    const open = await incidentsOf(admin.token, "invoice-perfect:staging", "open");
    expect(open.map((i) => i.key).sort()).toEqual(["errors:api", "log-pattern:api"]);
    const detail = (await api(viewer.token, "GET", `/api/incidents/${open.find((i) => i.key === "errors:api").id}`))
      .body.incident;
    expect(detail.bundle.files).toEqual(
      expect.arrayContaining(["incident.md", "metrics.json", "diff.json", "logs/api.txt"]),
    );
    const file = async (name: string) =>
      (await api(viewer.token, "GET", `/api/incidents/${detail.id}/bundle/${name}`)).text;
    const md = await file("incident.md");
    expect(md).toMatch(/- \*\*What:\*\* api: 100% of requests answer 5xx/);
    expect(md).toMatch(/- \*\*Since:\*\* /);
    expect(md).toMatch(/- \*\*Impact:\*\* \d+ of \d+ requests to api failed with 5xx/);
    expect(md).toMatch(/- \*\*Suspected cause:\*\* /);
    expect(md).toContain("## Diff since the last good release");
    const logs = await file("logs/api.txt");
    expect(logs).toMatch(/FATAL config dump STRIPE=/);
    expect(
      JSON.parse(await file("metrics.json")).services.find((s: { service: string }) => s.service === "api"),
    ).toMatchObject({ errors: expect.any(Number), requests: expect.any(Number) });
    expect(JSON.parse(await file("diff.json"))).toHaveProperty("spec");
    for (const name of detail.bundle.files) expect(await file(name), name).not.toContain(LEAKED);
    expect(JSON.stringify(await incidentsOf(admin.token, "invoice-perfect:staging"))).not.toContain(LEAKED);
    expectError(await api(viewer.token, "GET", `/api/incidents/${detail.id}/bundle/nope.md`), 404, "not_found");
    expectError(await api(viewer.token, "GET", "/api/incidents/inc_missing"), 404, "not_found");
    expectError(await api(null, "GET", "/api/incidents"), 401, "unauthorized");
    await settle();
  });
});

describe("monitor receipts", { timeout: 60_000 }, () => {
  it("keeps a receipt for every provider call, like a run: the check's reads and the alert texts", async () => {
    await sandboxWorld(env).addFault({ kind: "app", env: "staging", service: "api", track: "all", errorRate: 1 });
    const report = await clock.tick(ids.staging);
    expect(report.providerCalls).toBeGreaterThan(0);
    const id = report.opened[0];
    const file = async (name: string) =>
      JSON.parse((await api(viewer.token, "GET", `/api/incidents/${id}/bundle/${name}`)).text) as {
        id: string;
        provider: string;
        requestHash: string;
      }[];
    const reads = await file("receipts/check.json");
    expect(reads).toHaveLength(report.providerCalls);
    expect(new Set(reads.map((r) => r.provider))).toContain("railway");
    const texts = await file("receipts/notify.json");
    expect(texts.length).toBe((await textsTo(ON_CALL, id)).length);
    expect(texts.every((r) => r.provider === "twilio")).toBe(true);
    const rows = await env.DB.prepare("SELECT id FROM receipts WHERE run_id = ? AND step_id = 'notify'")
      .bind(id)
      .all<{ id: string }>();
    expect(rows.results.map((r) => r.id).sort()).toEqual(texts.map((r) => r.id).sort());
    const audit = (await api(admin.token, "GET", "/api/audit?env=invoice-perfect:staging&limit=200")).body.events;
    const opened = audit.find(
      (e: { action: string; details?: { incident?: string } }) =>
        e.action === "incident.opened" && e.details?.incident === id,
    );
    expect(opened.receiptHash).toBe(texts.map((r) => r.requestHash).join(","));
    await settle();
  });
});

describe("escalation", { timeout: 120_000 }, () => {
  it("moves to the second destination after the ACK timeout and not before", async () => {
    await sandboxWorld(env).addFault({ kind: "app", env: "staging", service: "api", track: "all", errorRate: 1 });
    const opened = await clock.tick(ids.staging);
    const id = opened.opened[0];
    expect(await textsTo(ON_CALL, id)).toHaveLength(1);
    for (let minute = 1; minute < 5; minute++) {
      const report = await clock.tick(ids.staging);
      expect(report.escalated, `minute ${minute}`).toEqual([]);
      expect(await textsTo(SECOND, id)).toEqual([]);
    }
    const fifth = await clock.tick(ids.staging);
    expect(fifth.escalated).toEqual([id]);
    const [escalation] = await textsTo(SECOND, id);
    expect(escalation.body).toMatch(/ESCALATED \(level 2/);
    expect(await textsTo(THIRD, id)).toEqual([]);
    const audit = (await api(admin.token, "GET", "/api/audit?env=invoice-perfect:staging&limit=200")).body.events;
    expect(
      audit.some(
        (e: { action: string; details?: { incident?: string } }) =>
          e.action === "incident.escalated" && e.details?.incident === id,
      ),
    ).toBe(true);
  });

  it("ACK <code> by SMS stops escalation: the third destination is never texted", async () => {
    const [incident] = await incidentsOf(admin.token, "invoice-perfect:staging", "open");
    const code = /ACK (\d{6})/.exec((await textsTo(ON_CALL, incident.id))[0].body)![1];
    const reply = await sms(admin.phone!, `ACK ${code}`);
    expect(reply.text).toContain(`Acknowledged ${incident.id}`);
    for (let minute = 0; minute < 12; minute++) expect((await clock.tick(ids.staging)).escalated).toEqual([]);
    expect(await textsTo(THIRD, incident.id)).toEqual([]);
    const after = (await api(admin.token, "GET", `/api/incidents/${incident.id}`)).body.incident;
    expect(after.acknowledged.by).toBe(admin.id);
    const audit = (await api(admin.token, "GET", "/api/audit?env=invoice-perfect:staging&limit=200")).body.events;
    expect(
      audit.some(
        (e: { action: string; actor: string; details?: { incident?: string } }) =>
          e.action === "incident.acknowledged" && e.actor === admin.id && e.details?.incident === incident.id,
      ),
    ).toBe(true);
    await settle();
  });

  it('chat: "what\'s broken?" lists the open incidents; a bare "ack" acknowledges the one paging, or asks which', async () => {
    await sandboxWorld(env).addFault({ kind: "app", env: "staging", service: "api", track: "all", errorRate: 1 });
    const opened: string[] = (await clock.tick(ids.staging)).opened;
    expect(opened.length).toBeGreaterThanOrEqual(1);
    const say = async (message: string, conversationId?: string) =>
      (await api(admin.token, "POST", "/api/chat", { message, conversationId })).body;
    const broken = await say("what's broken?");
    for (const id of opened) expect(broken.replies[0].text).toContain(id);
    let acked = await say("ack");
    if (opened.length > 1) {
      // Several are paging: each option is the "ack <code>" that acknowledges one.
      expect(acked.replies[0].question.slot).toBe("ack");
      expect(acked.replies[0].question.options).toHaveLength(opened.length);
      acked = await say(acked.replies[0].question.options[0], acked.conversationId);
    }
    expect(acked.replies[0].text).toMatch(/^Acknowledged inc_\w+/);
    const id = /^Acknowledged (inc_\w+)/.exec(acked.replies[0].text)![1];
    expect((await api(admin.token, "GET", `/api/incidents/${id}`)).body.incident.acknowledged.by).toBe(admin.id);
    await settle();
    expect((await say("ack")).replies[0].text).toMatch(/^Nothing is paging/);
  });

  it("a viewer may not acknowledge; POST /api/incidents/:id/ack from a deployer does", async () => {
    await sandboxWorld(env).addFault({ kind: "app", env: "staging", service: "api", track: "all", errorRate: 1 });
    const id = (await clock.tick(ids.staging)).opened[0];
    expectError(await api(viewer.token, "POST", `/api/incidents/${id}/ack`), 403, "forbidden");
    const deployer = await makeUser("deployer");
    const res = await api(deployer.token, "POST", `/api/incidents/${id}/ack`);
    expect(res.status).toBe(200);
    expect(res.body.incident.acknowledged.by).toBe(deployer.id);
    await settle();
  });
});

describe("drift: adopt or revert", { timeout: 120_000 }, () => {
  const replicasOf = async () =>
    (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment.spec.services.api
      .replicas as number;

  it('a replica count changed in the provider is reported as drift, and "adopt" makes it the desired state', async () => {
    expect(await replicasOf()).toBe(1);
    const res = await api(null, "POST", "/sandbox/drift", { env: "staging", service: "api", replicas: 3 });
    expect(res.status, res.text).toBe(200);
    // Earlier fault episodes may still burn the 6 h error budget: only the drift is this test's business.
    const report = await clock.tick(ids.staging, { drift: true });
    expect(report.anomalies).toContain("drift");
    const drift = (await incidentsOf(admin.token, "invoice-perfect:staging", "open")).find((i) => i.kind === "drift");
    expect(drift.drift).toEqual([{ path: "services.api.replicas", op: "change", from: 1, to: 3 }]);
    expect((await textsTo(ON_CALL, drift.id))[0].body).toMatch(/adopt drift on staging.*revert drift on staging/);
    const reply = await api(admin.token, "POST", "/api/chat", { message: "adopt drift on staging" });
    expect(reply.body.replies[0].text).toMatch(
      /^Adopted into invoice-perfect:staging revision \d+: services.api.replicas 1 → 3/,
    );
    expect(await replicasOf()).toBe(3);
    expect((await api(admin.token, "GET", `/api/incidents/${drift.id}`)).body.incident).toMatchObject({
      status: "resolved",
      resolution: expect.stringMatching(/^Adopted into revision/),
    });
    expect((await clock.tick(ids.staging, { drift: true })).anomalies).not.toContain("drift");
  });

  it('"revert" runs a reconcile that restores the spec\'s value at the provider', async () => {
    await api(null, "POST", "/sandbox/drift", { env: "staging", service: "api", replicas: 5 });
    expect((await clock.tick(ids.staging, { drift: true })).anomalies).toContain("drift");
    const drift = (await incidentsOf(admin.token, "invoice-perfect:staging", "open")).find((i) => i.kind === "drift");
    expect(drift.drift).toEqual([{ path: "services.api.replicas", op: "change", from: 3, to: 5 }]);
    const reply = await api(admin.token, "POST", "/api/chat", { message: "revert drift on staging" });
    const run = reply.body.replies[0].run;
    expect(reply.body.replies[0].plan).toMatchObject({
      type: "reconcile",
      steps: [expect.objectContaining({ kind: "scale-service" })],
    });
    expect((await driveRun(admin.token, run.id, ids.staging)).status).toBe("succeeded");
    const report = await clock.tick(ids.staging, { drift: true });
    expect(report.anomalies).not.toContain("drift");
    expect(report.resolved).toContain(drift.id);
    expect(await replicasOf()).toBe(3);
  });

  it("adopt without open drift is a conflict", async () => {
    expectError(await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/drift/adopt"), 409, "conflict");
  });
});

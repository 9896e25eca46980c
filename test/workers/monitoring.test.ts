import { env } from "cloudflare:test";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, makeUser, seedWorld } from "./helpers";
import { changeSpec, failApi, incidentsOf, monitorClock } from "./monitoring-support";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
const clock = monitorClock();

beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin", "+15550002001");
  // Staging's own notify list is the seeded admin phone; the quiet period is two checks long.
  await changeSpec(ids.staging, (spec) => {
    spec.policies.monitoring = { quietSeconds: 120 };
  });
});
beforeEach(async () => {
  await sandboxWorld(env).clearFaults();
});

describe("continuous monitoring: incidents", { timeout: 120_000 }, () => {
  it("a healthy environment opens nothing", async () => {
    for (let i = 0; i < 3; i++) {
      const report = await clock.tick(ids.staging);
      expect(report.checked).toBe(true);
      expect(report.anomalies, JSON.stringify(await incidentsOf(admin.token, "invoice-perfect:staging"))).toEqual([]);
    }
    expect(await incidentsOf(admin.token, "invoice-perfect:staging")).toEqual([]);
  });

  it("a freshly seeded production matches its desired state: no drift, no incident", async () => {
    const report = await clock.tick(ids.production, { drift: true });
    expect(report.anomalies, JSON.stringify(await incidentsOf(admin.token, "invoice-perfect:production"))).toEqual([]);
    expect(await incidentsOf(admin.token, "invoice-perfect:production")).toEqual([]);
  });

  it("a continuing anomaly across 10 checks is one incident, updated each check; clearing the fault resolves it with a note", async () => {
    await failApi("staging");
    const reports: Awaited<ReturnType<typeof clock.tick>>[] = [];
    for (let i = 0; i < 10; i++) reports.push(await clock.tick(ids.staging));
    expect(reports[0].opened).toHaveLength(1);
    expect(reports.slice(1).every((r) => r.opened.length === 0)).toBe(true);
    expect(reports.slice(1).every((r) => r.continued.includes(reports[0].opened[0]))).toBe(true);
    const open = await incidentsOf(admin.token, "invoice-perfect:staging", "open");
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ id: reports[0].opened[0], key: "errors:api", status: "open", checks: 10 });

    await sandboxWorld(env).clearFaults();
    let resolvedAt = -1;
    for (let i = 0; i < 60 && resolvedAt < 0; i++) {
      const report = await clock.tick(ids.staging);
      expect(report.opened).toEqual([]);
      if (report.resolved.includes(open[0].id)) resolvedAt = i;
    }
    expect(resolvedAt).toBeGreaterThanOrEqual(2);
    const [resolved] = await incidentsOf(admin.token, "invoice-perfect:staging", "resolved");
    expect(resolved.id).toBe(open[0].id);
    expect(resolved.resolution).toMatch(/^Auto-resolved: not seen for \d+ min/);
    expect(await incidentsOf(admin.token, "invoice-perfect:staging", "open")).toEqual([]);
    const audit = (await api(admin.token, "GET", "/api/audit?env=invoice-perfect:staging&limit=1000")).body.events as {
      action: string;
      details?: { incident?: string };
    }[];
    expect(
      audit
        .filter((e) => e.details?.incident === open[0].id)
        .map((e) => e.action)
        .sort(),
    ).toEqual(["incident.opened", "incident.resolved"]);
  });
});

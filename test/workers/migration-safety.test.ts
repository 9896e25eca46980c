/**
 * Migration-aware plans on the sandbox: the simulated api's `GET /ops/migrations` classifies each pending
 * migration as the real app does; a production canary deploy carries expand migrations only and defers the
 * contract ones to their own migrate run (waiting for the deploy and a soak); once a contract migration ran
 * for a release, a rollback to an older release is refused with the reason. (The same on the real fixture
 * and PostgreSQL: test/node/control-plane-fixture.test.ts.)
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { readIntents as parseIntents } from "./chat-reading";
import { sandboxWorld } from "../../src/wiring";
import { api, driveRun, makeUser, seedWorld } from "./helpers";

const EXPAND = "20261101000000-add-timezone-to-users";
const CONTRACT = "20261201000000-make-timezone-not-null";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin");
  // The api's next commit contracts what v2 expanded.
  const pushed = await sandboxWorld(env).addCommit({ service: "api", message: "v3", migrations: [CONTRACT] });
  expect(pushed.ok).toBe(true);
});

describe("migration-aware plans", { timeout: 60_000 }, () => {
  it("a production canary deploy carries the expand migration only; the contract one becomes a later migrate run after promotion and soak", async () => {
    const res = await api(admin.token, "POST", "/api/envs/invoice-perfect:production/plan", {
      type: "deploy",
      params: { canary: [10, 50, 100] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const plan = res.body.plan;
    const migrate = plan.steps.find((s: { kind: string }) => s.kind === "migrate");
    expect(migrate.summary).toContain(`${EXPAND} (expand); deferred: ${CONTRACT} (contract)`);
    expect(migrate.summary).toContain(`--to ${EXPAND}`);
    expect(plan.risk.notes.join(" ")).toMatch(
      /contract migration .*make-timezone-not-null \(contract\) split off: a separate migrate run after promotion and a 300s soak/,
    );
    const followUp = (await api(admin.token, "GET", `/api/plans/${plan.followUpPlanId}`)).body.plan;
    expect(followUp).toMatchObject({
      type: "migrate",
      env: "invoice-perfect:production",
      requiresApproval: true,
      params: { after: plan.runId, soakSeconds: 300 },
    });
    expect(followUp.steps[0]).toMatchObject({
      kind: "await-run",
      summary: `Wait for run ${plan.runId} to succeed, then soak 300s`,
    });
    expect(followUp.steps.find((s: { kind: string }) => s.kind === "migrate").summary).toContain(
      `${CONTRACT} (contract)`,
    );
  });

  it("without a canary, staging's deploy carries both; afterwards a rollback to the release before the contract migration is refused, with the reason", async () => {
    const plan = (
      await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/plan", { type: "deploy", params: {} })
    ).body.plan;
    expect(plan.steps.find((s: { kind: string }) => s.kind === "migrate").summary).toContain(
      `${EXPAND} (expand), ${CONTRACT} (contract)`,
    );
    expect(plan.followUpPlanId).toBeUndefined();
    const run = await driveRun(
      admin.token,
      (await api(admin.token, "POST", `/api/plans/${plan.id}/apply`)).body.run.id,
      ids.staging,
    );
    expect(run.status, run.error).toBe("succeeded");
    const refused = await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/plan", {
      type: "rollback",
      params: { toRelease: "v1" },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(
      new RegExp(
        `refusing to roll invoice-perfect:staging back to v1: contract migration ${CONTRACT} ran at \\S+ for v2, and v1 is older`,
      ),
    );
  });

  it("the chat sentence is a chain: expand-only migrate, backfill staging after it, production at 500/min after that", () => {
    expect(
      parseIntents(
        "Add timezone column and backfill timezone from address in staging; then do production at 500 users/min.",
      ),
    ).toEqual([
      { kind: "migrate", env: "staging", expandOnly: true },
      { kind: "backfill", env: "staging", job: "backfillTimezone", chained: true },
      { kind: "backfill", env: "production", job: "backfillTimezone", chained: true, ratePerMinute: 500 },
    ]);
    // Without a second environment it is no chain (and no half of one); nor when the backfill is of another column.
    expect(
      parseIntents("Add timezone column and backfill timezone from address in staging; then do it at 500 users/min.")[0]
        ?.kind,
    ).not.toBe("migrate");
    expect(parseIntents("Add timezone column and backfill email in staging; then do production.")).toEqual([]);
    expect(
      parseIntents("add a timezone column and backfill it in stg at 200 users/min, then prod at 500 users per minute"),
    ).toEqual([
      { kind: "migrate", env: "staging", expandOnly: true },
      { kind: "backfill", env: "staging", job: "backfillTimezone", chained: true, ratePerMinute: 200 },
      { kind: "backfill", env: "production", job: "backfillTimezone", chained: true, ratePerMinute: 500 },
    ]);
  });

  it("in chat the sentence makes the three chained plans, each waiting for the one before, and lists them first", async () => {
    const chat = await api(admin.token, "POST", "/api/chat", {
      message:
        "Add timezone column and backfill timezone from address in staging; then do production at 500 users/min.",
    });
    expect(chat.status, JSON.stringify(chat.body)).toBe(200);
    const plans = chat.body.replies.map(
      (r: {
        plan?: { type: string; env: string; runId: string; params: Record<string, unknown>; steps: { kind: string }[] };
      }) => r.plan,
    );
    expect(plans.map((p: { type: string; env: string }) => `${p.type}:${p.env}`)).toEqual([
      "migrate:invoice-perfect:staging",
      "backfill:invoice-perfect:staging",
      "backfill:invoice-perfect:production",
    ]);
    expect(plans[0].params).toEqual({ expandOnly: true });
    expect(plans[1].params).toEqual({ job: "backfillTimezone", after: plans[0].runId });
    expect(plans[2].params).toEqual({ job: "backfillTimezone", ratePerMinute: 500, after: plans[1].runId });
    expect(plans.slice(1).map((p: { steps: { kind: string }[] }) => p.steps[0].kind)).toEqual([
      "await-run",
      "await-run",
    ]);
    expect(chat.body.replies[0].text.split("\n\n")[0]).toBe(
      [
        "A chain of 3 plans; each starts only after the one before it has succeeded:",
        "  1. migrate invoice-perfect:staging (expand migrations only; contract ones get their own run); auto-applies by policy",
        "  2. backfill backfillTimezone on invoice-perfect:staging at 1000 rows/min — after 1; auto-applies by policy",
        '  3. backfill backfillTimezone on invoice-perfect:production at 500 rows/min — after 2; waits for "apply", then for approval by an admin other than the requester',
      ].join("\n"),
    );
    // Two plans that are no chain (one per environment named) get no overview.
    const pair = await api(admin.token, "POST", "/api/chat", { message: "migrate staging and production" });
    expect(pair.body.replies.filter((r: { plan?: unknown }) => r.plan)).toHaveLength(2);
    expect(pair.body.replies.map((r: { text: string }) => r.text).join("\n")).not.toContain("A chain of");
  });
});

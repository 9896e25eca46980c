import { beforeAll, describe, expect, it } from "vitest";
import { planQuestion } from "../../src/chat/prompts";
import type { Plan } from "../../src/domain/run";
import { readIntents as parseIntents } from "./chat-reading";
import { api, makeUser, seedWorld } from "./helpers";

/** Spec §11.2–11.3: plans that wait for "apply" offer their defaults as options the parser understands. */

const plan = (over: Partial<Plan>): Plan =>
  ({
    id: "plan_x",
    runId: "run_x",
    type: "deploy",
    env: "invoice-perfect:production",
    envId: "env_x",
    params: {},
    steps: [],
    diff: [],
    risk: { level: "low", notes: [] },
    requiresApproval: true,
    autoApply: false,
    specRevision: 1,
    createdBy: "usr_x",
    createdAt: "2026-11-26T00:00:00Z",
    ...over,
  }) as Plan;

describe("plan prompts", () => {
  it("offers apply, a stricter canary for production and cancel; every option parses", () => {
    const q = planQuestion(plan({}))!;
    expect(q.options).toEqual(["apply", "deploy production with canary 5/25/50/100", "cancel"]);
    expect(parseIntents(q.options[1])).toEqual([
      { kind: "deploy", env: "production", params: { canary: [5, 25, 50, 100] } },
    ]);
    expect(parseIntents("apply")[0].kind).toBe("apply");
    expect(parseIntents("cancel")[0].kind).toBe("cancel");
  });

  it("offers a dry run first and a gentler rate for a backfill, read back into the same job", () => {
    const q = planQuestion(plan({ type: "backfill", params: { job: "backfillTimezone", ratePerMinute: 500 } }))!;
    expect(q.slot).toBe("backfill-options");
    expect(parseIntents(q.options[1])).toEqual([
      { kind: "backfill", env: "production", job: "backfillTimezone", dryRun: true },
    ]);
    expect(parseIntents(q.options[2])).toMatchObject([
      { kind: "backfill", env: "production", job: "backfillTimezone", ratePerMinute: 250 },
    ]);
    expect(
      planQuestion(plan({ type: "backfill", params: { job: "backfillTimezone", dryRun: true } }))!.options,
    ).toEqual(["apply", "cancel"]);
  });

  it("offers no stricter canary that would drop a deploy's service filter or a promotion's commits", () => {
    expect(planQuestion(plan({ params: { services: ["web"] } }))!.options).toEqual(["apply", "cancel"]);
    expect(planQuestion(plan({ params: { refs: { api: "abc1234" } } }))!.options).toEqual(["apply", "cancel"]);
    expect(planQuestion(plan({}))!.text).toBe("Apply it as planned, or deploy production with canary 5/25/50/100?");
  });

  it("asks nothing after a plan that applied itself", () => {
    expect(planQuestion(plan({ autoApply: true }))).toBeUndefined();
  });
});

describe("prompts in chat", { timeout: 30_000 }, () => {
  let admin: Awaited<ReturnType<typeof makeUser>>;
  beforeAll(async () => {
    await seedWorld();
    admin = await makeUser("admin");
  });

  it("a production plan carries its options, and clicking cancel drops it", async () => {
    const planned = await api(admin.token, "POST", "/api/chat", { message: "deploy production" });
    const reply = planned.body.replies[0];
    expect(reply.question.options).toContain("apply");
    const dropped = await api(admin.token, "POST", "/api/chat", {
      message: "cancel",
      conversationId: planned.body.conversationId,
    });
    expect(dropped.body.replies[0].text).toMatch(/Dropped the pending plan/);
    const again = await api(admin.token, "POST", "/api/chat", {
      message: "apply",
      conversationId: planned.body.conversationId,
    });
    expect(again.body.replies[0].text).toMatch(/no plan waiting/);
  });
});

describe("apply policy by chat", { timeout: 30_000 }, () => {
  it("an admin turns auto-apply off and on; plans then wait for apply; a deployer may not", async () => {
    await seedWorld();
    const admin = await makeUser("admin");
    const deployer = await makeUser("deployer");
    expect(parseIntents("turn off auto-apply on staging")).toEqual([
      { kind: "policy", env: "staging", autoApply: false },
    ]);
    expect(parseIntents("Enable auto apply for prod")).toEqual([
      { kind: "policy", env: "production", autoApply: true },
    ]);
    const refused = await api(deployer.token, "POST", "/api/chat", { message: "turn off auto-apply on staging" });
    expect(refused.body.replies[0].text).toMatch(/can't do that/);
    const off = await api(admin.token, "POST", "/api/chat", { message: "turn off auto-apply on staging" });
    expect(off.body.replies[0].text).toMatch(/revision \d+: plans now wait for "apply"/);
    const planned = await api(admin.token, "POST", "/api/chat", { message: "deploy staging" });
    expect(planned.body.replies[0].run).toBeUndefined();
    expect(planned.body.replies[0].question.options).toContain("apply");
    const last = await api(admin.token, "POST", "/api/chat", { message: "show the last change to staging" });
    expect(last.body.replies[0].text).toMatch(/autoApply/);
    const on = await api(admin.token, "POST", "/api/chat", { message: "turn on auto-apply on staging" });
    expect(on.body.replies[0].text).toMatch(/apply themselves/);
    expect(
      (await api(admin.token, "POST", "/api/chat", { message: "turn on auto-apply on staging" })).body.replies[0].text,
    ).toMatch(/nothing changed/);
  });
});

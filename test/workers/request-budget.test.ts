/**
 * The Railway request budget, pure (src/budget/bucket.ts): over a simulated hour of the Free plan, two
 * environments' monitoring keeps to its paced share and never takes the reserve of runs and rollbacks;
 * rollbacks may spend the last request; Railway's headers replace the plan's assumption; a 429 holds
 * everyone. And its Durable Object: one per token, shared by every caller.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { admitCheck, floorFor, newBudget, observe, rateLimited, take } from "../../src/budget/bucket";
import { budgetName } from "../../src/budget/gate";

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

describe("a Free plan's hour", () => {
  it("two monitored environments checking every minute stay inside monitoring's paced share and leave the reserve", () => {
    const budget = newBudget("free", T0, HOUR);
    let checks = 0;
    let spent = 0;
    for (let minute = 0; minute < 60; minute++) {
      for (const _env of ["staging", "production"]) {
        const at = T0 + minute * 60_000;
        if (!admitCheck(budget, 7, at, at, HOUR).granted) continue;
        checks += 1;
        for (let call = 0; call < 7; call++) if (take(budget, "monitor", at, HOUR).granted) spent += 1;
      }
    }
    // Half of 100 an hour plus the first burst, never below the 30 kept for runs and rollbacks.
    expect(spent).toBeLessThanOrEqual(70);
    expect(budget.remaining).toBeGreaterThanOrEqual(floorFor("monitor", 100));
    expect(checks).toBeGreaterThanOrEqual(6);
    expect(checks).toBeLessThan(120);
    // Runs still have their share; a rollback has the rest.
    let run = 0;
    while (take(budget, "run", T0 + HOUR - 1000, HOUR).granted) run += 1;
    expect(budget.remaining).toBe(floorFor("run", 100));
    let critical = 0;
    while (take(budget, "critical", T0 + HOUR - 1000, HOUR).granted) critical += 1;
    expect(critical).toBe(floorFor("run", 100));
    expect(spent + run + critical).toBe(100);
  });

  it("refuses a run below the rollbacks' reserve, saying until when", () => {
    const budget = newBudget("free", T0, HOUR);
    budget.remaining = floorFor("run", 100);
    const refused = take(budget, "run", T0, HOUR);
    expect(refused).toMatchObject({ granted: false, retryAt: T0 + HOUR });
    expect(!refused.granted && refused.reason).toMatch(/10 of 100 left until 13:00 UTC, and 10 are kept for rollbacks/);
    expect(take(budget, "critical", T0, HOUR).granted).toBe(true);
  });
});

describe("Railway's headers and 429", () => {
  it("take over from the plan's assumption: the real limit and what is left, and a later reset is a new window", () => {
    const budget = newBudget("hobby", T0, HOUR);
    observe(budget, { limit: 100, remaining: 40, resetAt: T0 + 20 * 60_000 });
    expect(budget).toMatchObject({ limit: 100, remaining: 40, resetAt: T0 + 20 * 60_000, synced: true });
    // Answers overtaking each other never raise what is left within a window.
    observe(budget, { limit: 100, remaining: 45, resetAt: T0 + 20 * 60_000 });
    expect(budget.remaining).toBe(40);
    observe(budget, { limit: 100, remaining: 99, resetAt: T0 + 80 * 60_000 });
    expect(budget).toMatchObject({ remaining: 99, resetAt: T0 + 80 * 60_000 });
  });

  it("a 429 holds every priority until the window ends", () => {
    const budget = newBudget("pro", T0, HOUR);
    rateLimited(budget, T0 + 600_000);
    for (const priority of ["critical", "run", "monitor"] as const)
      expect(take(budget, priority, T0 + 1000, HOUR)).toMatchObject({ granted: false, retryAt: T0 + 600_000 });
    expect(take(budget, "critical", T0 + 600_001, HOUR).granted).toBe(true);
  });
});

describe("the budget object", () => {
  it("is one per token, shared: two callers never both take the last request", async () => {
    const name = await budgetName("shared-token");
    const a = env.BUDGETS.getByName(name);
    const b = env.BUDGETS.getByName(name);
    await a.observe({ limit: 100, remaining: 1, resetAt: Date.now() + HOUR }, HOUR);
    const [first, second] = await Promise.all([a.take("critical", HOUR), b.take("critical", HOUR)]);
    expect([first.granted, second.granted].sort()).toEqual([false, true]);
    expect((await env.BUDGETS.getByName(await budgetName("other-token")).view(HOUR)).remaining).toBe(1000);
    expect(name).not.toContain("shared-token");
  });
});

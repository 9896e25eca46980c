import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import {
  admitCheck,
  configurePlan,
  newBudget,
  observe,
  rateLimited,
  take,
  viewOf,
  type BudgetDecision,
  type BudgetState,
  type BudgetView,
  type RailwayPlanName,
  type RequestPriority,
} from "../src/budget/bucket";

const KEY = "budget";

/** Stored state is parsed on read: an object written by an older version must not be trusted blindly. */
const Stored = z.object({
  plan: z.enum(["free", "hobby", "pro"]),
  limit: z.number(),
  remaining: z.number(),
  resetAt: z.number(),
  blockedUntil: z.number(),
  spent: z.object({ critical: z.number(), run: z.number(), monitor: z.number() }),
  monitor: z.object({ level: z.number(), at: z.number() }),
  synced: z.boolean(),
});

/**
 * One Railway token's request budget (named after the token's fingerprint), shared by every environment's
 * object and the Worker, which all spend the same token: a Durable Object serializes their asks, so two
 * environments never both take the last request. A thin shell over src/budget/bucket.ts; its clock is the
 * wall clock, except monitoring's pacing, which runs on the monitor's own clock (`at`).
 */
export class RequestBudgetDO extends DurableObject<Env> {
  #state: BudgetState | null = null;

  #load(windowMs: number): BudgetState {
    if (!this.#state) {
      const stored = Stored.safeParse(this.ctx.storage.kv.get(KEY));
      this.#state = stored.success ? stored.data : newBudget("hobby", Date.now(), windowMs);
    }
    return this.#state;
  }

  #save(): void {
    this.ctx.storage.kv.put(KEY, this.#state);
  }

  /** One request at `priority`: granted and counted, or when to ask again. */
  async take(priority: RequestPriority, windowMs: number): Promise<BudgetDecision> {
    const decision = take(this.#load(windowMs), priority, Date.now(), windowMs);
    this.#save();
    return decision;
  }

  /** A monitoring check of about `calls` requests at the monitor's time `at`. */
  async admitCheck(calls: number, at: number, windowMs: number): Promise<BudgetDecision> {
    const decision = admitCheck(this.#load(windowMs), calls, at, Date.now(), windowMs);
    this.#save();
    return decision;
  }

  /** What Railway's answer said: its X-RateLimit-* numbers, and on a 429 until when nothing may be sent. */
  async observe(
    seen: { limit?: number; remaining?: number; resetAt?: number; blockedUntil?: number },
    windowMs: number,
  ): Promise<void> {
    const state = this.#load(windowMs);
    observe(state, seen);
    if (seen.blockedUntil !== undefined) rateLimited(state, seen.blockedUntil);
    this.#save();
  }

  /** The plan the connection is configured with (Railway's headers still win for the limit). */
  async configure(plan: RailwayPlanName, windowMs: number): Promise<BudgetView> {
    configurePlan(this.#load(windowMs), plan);
    this.#save();
    return viewOf(this.#load(windowMs), Date.now(), windowMs);
  }

  async view(windowMs: number): Promise<BudgetView> {
    return viewOf(this.#load(windowMs), Date.now(), windowMs);
  }
}

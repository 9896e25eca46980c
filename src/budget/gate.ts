/**
 * The Railway adapter's side of the request budget: every request asks the token's budget object first,
 * and every answer tells it what Railway's X-RateLimit-* headers said. A 429 holds every caller until the
 * window ends (X-RateLimit-Reset, else Retry-After), and the request is not re-sent blindly.
 */
import { parseRetryAfter } from "../providers/http";
import { RequestWithheld, type RequestGate } from "../providers/types";
import type { BudgetDecision, BudgetView, RailwayPlanName, RequestPriority } from "./bucket";

/** The budget object's RPC surface (durable-objects/budget.ts). */
export interface BudgetObject {
  take(priority: RequestPriority, windowMs: number): Promise<BudgetDecision>;
  admitCheck(calls: number, at: number, windowMs: number): Promise<BudgetDecision>;
  observe(
    seen: { limit?: number; remaining?: number; resetAt?: number; blockedUntil?: number },
    windowMs: number,
  ): Promise<void>;
  configure(plan: RailwayPlanName, windowMs: number): Promise<BudgetView>;
  view(windowMs: number): Promise<BudgetView>;
}

/** How long the provider's hour is in wall time, and how its own waits (Retry-After) map to wall time. */
export interface BudgetClock {
  windowMs: number;
  wallMs(providerMs: number): number;
  now(): number;
}

/** A gate for one caller priority over the token's budget object. */
export function createBudgetGate(
  budget: () => Promise<BudgetObject>,
  priority: RequestPriority,
  clock: BudgetClock,
): RequestGate {
  return {
    async before() {
      const decision = await (await budget()).take(priority, clock.windowMs);
      if (!decision.granted)
        throw new RequestWithheld(decision.reason, "railway", Math.max(0, decision.retryAt - clock.now()));
    },
    async after(response) {
      const seen = rateLimitHeaders(response.headers);
      let hold: { waitMs: number; reason: string } | null = null;
      if (response.status === 429) {
        const retryAfter = parseRetryAfter(response.headers.get("Retry-After"));
        // The reset is wall-clock epoch time; Retry-After counts the provider's seconds (scaled in the sandbox).
        const until = seen.resetAt ?? clock.now() + clock.wallMs(retryAfter ?? 60_000);
        seen.blockedUntil = until;
        hold = {
          waitMs: Math.max(0, until - clock.now()),
          reason: `Railway answered 429: the token's hourly request budget is spent until ${new Date(until).toISOString().slice(11, 16)} UTC; every caller waits for it`,
        };
      }
      if (Object.keys(seen).length) await (await budget()).observe(seen, clock.windowMs);
      return hold;
    },
  };
}

/** X-RateLimit-Limit, -Remaining and -Reset (epoch seconds), whichever are there and numeric. */
export function rateLimitHeaders(headers: Headers): {
  limit?: number;
  remaining?: number;
  resetAt?: number;
  blockedUntil?: number;
} {
  const number = (name: string) => {
    const raw = headers.get(name);
    const n = raw === null || raw.trim() === "" ? Number.NaN : Number(raw);
    return Number.isFinite(n) ? n : undefined;
  };
  const limit = number("X-RateLimit-Limit");
  const remaining = number("X-RateLimit-Remaining");
  const reset = number("X-RateLimit-Reset");
  return {
    ...(limit !== undefined ? { limit } : {}),
    ...(remaining !== undefined ? { remaining } : {}),
    ...(reset !== undefined ? { resetAt: reset * 1000 } : {}),
  };
}

/** The budget object's name for a token: a fingerprint, so the token itself is never a name anywhere. */
export async function budgetName(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`railway:${token}`)));
  return `railway:${[...digest.slice(0, 12)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

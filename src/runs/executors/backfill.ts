import type { BackfillParams } from "../../domain/run";
import { DEFAULT_BACKFILL_RATE } from "../../plan/backfill";
import type { OpsBatch } from "../../providers/ops/api";
import type { StepContext, StepExecutor, StepResult } from "../context";
import { throttleReason, type ThrottleReason } from "./backfill-health";
import { judgeBackfill, type BackfillVerdict } from "./backfill-verdict";
import { nextWindowStart } from "./window";

/** How the backfill is going, as runs and chat show it. */
export interface BackfillProgress {
  processed: number;
  updated: number;
  failed: number;
  skipped: number;
  total: number | null;
  remaining: number | null;
  batches: number;
  ratePerMinute: number;
  etaSeconds: number | null;
  failureSamples: { id: number | string; reason: string }[];
  /** Every failed row so far, counted by the app's reason code. */
  failedByReason?: Record<string, number>;
  /** The verification's verdict, once it ran: coverage of derivable rows, underivable rows by reason. */
  verification?: BackfillVerdict;
  dryRun: boolean;
  wouldChange?: number;
  note?: string;
  /** Due times of the first and latest batch (simulated time in the sandbox): the achieved pace. */
  firstBatchAt?: string;
  lastBatchAt?: string;
  /** Rows sent before the latest batch, over the time between first and latest batch. */
  achievedRatePerMinute?: number;
  /** Set while batches pause on the app's health (policies.backfill): why, and since when. */
  throttle?: ThrottleReason & { since: string };
  /** Health pauses that ended (the latest 20), and their total length on the run's clock. */
  pauses?: { since: string; until: string; reason: string }[];
  pausedSeconds?: number;
}

interface BackfillState {
  cursor?: string | null;
  startedAt?: number;
  /** When the next batch is due (simulated time in the sandbox, real time otherwise). */
  nextAt?: number;
  /** Due times of the batches sent, for pacing checks (bounded). */
  schedule?: number[];
  progress?: BackfillProgress;
  /** When the app's health was last read (the run's clock). */
  healthCheckedAt?: number;
}

const SCHEDULE_KEPT = 500;

/** Batch size and the pause between batches that honours the rate. */
export function pacing(params: BackfillParams): { batchSize: number; intervalMs: number; rate: number } {
  const rate = params.ratePerMinute ?? DEFAULT_BACKFILL_RATE;
  // Small enough that a stop takes effect quickly and the rate is smooth (≈ 6 batches a minute).
  const batchSize = params.batchSize ?? Math.max(1, Math.min(500, Math.round(rate / 6)));
  return { batchSize, intervalMs: (batchSize / rate) * 60_000, rate };
}

/**
 * Sends one batch per execution from the checkpointed cursor, then waits until the next batch is due.
 * The cursor only moves after the app's answer is persisted; a batch re-sent after an eviction carries
 * the same run id and cursor, which the app's ops contract records once.
 */
export const backfill: StepExecutor = async (ctx) => {
  const params = ctx.run.plan.params as BackfillParams;
  const ops = await ctx.opsFor(ctx.env);
  const state = ctx.step.state as BackfillState;
  const { batchSize, intervalMs, rate } = pacing(params);
  if (state.startedAt === undefined) {
    const baseline = await ops.verify({ job: params.job, sample: 0, minCoverage: 0 });
    state.startedAt = state.nextAt = ctx.now();
    state.cursor = null;
    state.schedule = [];
    state.progress = {
      processed: 0,
      updated: 0,
      failed: 0,
      skipped: 0,
      total: baseline.total,
      remaining: baseline.total,
      batches: 0,
      ratePerMinute: rate,
      etaSeconds: null,
      failureSamples: [],
      dryRun: params.dryRun === true,
    };
    ctx.save();
  }
  const progress = state.progress!;
  // After a stop (or a slow batch) never catch up in a burst: the rate is a ceiling, so restart from now.
  const dueAt = !ctx.timing.simulated && ctx.now() - state.nextAt! > intervalMs ? ctx.now() : state.nextAt!;
  if (params.window) {
    const opens = nextWindowStart(dueAt, params.window);
    if (opens > dueAt) {
      state.nextAt = opens;
      progress.note = `outside the ${params.window.start}–${params.window.end} ${params.window.tz} window: next batch at ${new Date(opens).toISOString()}`;
      publish(ctx, progress);
      return { kind: "wait", ms: waitFor(ctx, dueAt, opens), note: progress.note };
    }
  }
  if (params.maxRuntimeSeconds && dueAt - state.startedAt! >= params.maxRuntimeSeconds * 1000) {
    return {
      kind: "halt",
      reason: `max runtime of ${params.maxRuntimeSeconds}s reached after ${progress.processed} rows; resume to continue`,
    };
  }
  const paused = await healthGate(ctx, state, progress, dueAt);
  if (paused) return paused;
  const batch = await ops.runBatch({
    job: params.job,
    cursor: state.cursor ?? null,
    batchSize,
    dryRun: params.dryRun === true,
    runId: ctx.run.id,
  });
  const sentBefore = progress.processed;
  record(progress, batch, rate);
  progress.firstBatchAt ??= new Date(dueAt).toISOString();
  progress.lastBatchAt = new Date(dueAt).toISOString();
  const spanMinutes = (dueAt - Date.parse(progress.firstBatchAt)) / 60_000;
  if (spanMinutes > 0) progress.achievedRatePerMinute = Math.round((sentBefore / spanMinutes) * 10) / 10;
  state.cursor = batch.nextCursor;
  state.schedule = [...(state.schedule ?? []), dueAt].slice(-SCHEDULE_KEPT);
  state.nextAt = dueAt + intervalMs;
  progress.note = undefined;
  publish(ctx, progress);
  if (batch.done) return { kind: "done", note: summary(progress) };
  return { kind: "wait", ms: waitFor(ctx, dueAt, state.nextAt), note: summary(progress) };
};

/**
 * Coverage of the derivable rows, the bound on underivable ones and the invariants decide whether the backfill
 * succeeded (plan/backfill.ts says why); a dry run has nothing to verify.
 */
export const verifyBackfill: StepExecutor = async (ctx) => {
  const params = ctx.run.plan.params as BackfillParams;
  const progress = ctx.run.outputs.progress as BackfillProgress | undefined;
  if (params.dryRun)
    return {
      kind: "done",
      note: `dry run: ${progress?.wouldChange ?? 0} rows would change${byReason(progress?.failedByReason, "; cannot be derived: ")}; nothing written`,
    };
  // The app reports; the control plane judges coverage itself (minCoverage 0 leaves the app's `ok` to its invariants).
  const result = await (await ctx.opsFor(ctx.env)).verify({ job: params.job, sample: 100, minCoverage: 0 });
  const verdict = judgeBackfill(result, params);
  ctx.run.outputs.verification = result;
  if (progress) ctx.run.outputs.progress = { ...progress, verification: verdict };
  ctx.save();
  return verdict.ok ? { kind: "done", note: verdict.summary } : { kind: "fail", error: verdict.summary };
};

/**
 * Holds the batch while the environment's short window crosses policies.backfill (5xx burn rate or p95
 * latency), re-reading it every `checkSeconds`; null when the batch may go. A pause that ends is kept.
 */
async function healthGate(
  ctx: StepContext,
  state: BackfillState,
  progress: BackfillProgress,
  dueAt: number,
): Promise<StepResult | null> {
  const policy = ctx.env.spec.policies.backfill;
  const checkMs = policy.checkSeconds * 1000;
  if (!policy.throttle || (state.healthCheckedAt !== undefined && dueAt - state.healthCheckedAt < checkMs)) return null;
  const why = await throttleReason(ctx, policy, dueAt);
  state.healthCheckedAt = dueAt;
  const held = progress.throttle;
  if (why) {
    const since = held?.since ?? new Date(dueAt).toISOString();
    progress.throttle = { ...why, since };
    progress.note = `Paused since ${since}: ${why.reason}; batches continue by themselves when it recovers`;
    state.nextAt = dueAt + checkMs;
    publish(ctx, progress);
    return { kind: "wait", ms: waitFor(ctx, dueAt, state.nextAt), note: progress.note };
  }
  if (held) {
    progress.pauses = [
      ...(progress.pauses ?? []),
      { since: held.since, until: new Date(dueAt).toISOString(), reason: held.reason },
    ].slice(-20);
    progress.pausedSeconds = (progress.pausedSeconds ?? 0) + (dueAt - Date.parse(held.since)) / 1000;
    progress.throttle = undefined;
  }
  return null;
}

function record(p: BackfillProgress, batch: OpsBatch, rate: number): void {
  p.processed += batch.processed;
  p.updated += batch.counts.updated;
  p.failed += batch.counts.failed;
  p.skipped += batch.counts.skipped;
  p.batches += 1;
  if (p.dryRun) p.wouldChange = (p.wouldChange ?? 0) + batch.changed.length;
  p.failureSamples = [...p.failureSamples, ...batch.failures].slice(0, 20);
  const counts = { ...p.failedByReason };
  for (const { reason } of batch.failures) counts[reason] = (counts[reason] ?? 0) + 1;
  p.failedByReason = counts;
  p.remaining = p.total === null ? null : Math.max(0, p.total - p.processed);
  p.etaSeconds = p.remaining === null ? null : Math.round((p.remaining / rate) * 60);
}

function publish(ctx: StepContext, progress: BackfillProgress): void {
  ctx.run.outputs.progress = { ...progress };
  ctx.save();
}

/** Real mode waits until the due time; the sandbox moves simulated time and waits a scaled interval. */
function waitFor(ctx: StepContext, from: number, until: number): number {
  return ctx.timing.simulated ? (until - from) * ctx.timing.waitFactor : Math.max(0, until - ctx.now());
}

function summary(p: BackfillProgress): string {
  const done = p.total ? ` of ${p.total}` : "";
  const paused = p.pausedSeconds ? `; paused ${Math.round(p.pausedSeconds)}s in total on the app's health` : "";
  return `${p.processed}${done} processed (${p.updated} updated, ${p.failed} failed${byReason(p.failedByReason, ": ")}, ${p.skipped} skipped) in ${p.batches} batches${p.dryRun ? " — dry run, nothing written" : ""}${paused}`;
}

/** "<lead>no_address 40, unknown_region 12", most frequent first; empty when there is nothing to count. */
export function byReason(counts: Record<string, number> | undefined, lead: string): string {
  const entries = Object.entries(counts ?? {}).sort(([ra, a], [rb, b]) => b - a || ra.localeCompare(rb));
  return entries.length ? `${lead}${entries.map(([reason, n]) => `${reason} ${n}`).join(", ")}` : "";
}

const ENDED_BADLY = ["failed", "rolled-back", "cancelled", "rejected"];

/**
 * Chained plans (migrate → backfill staging → backfill production; deploy → contract migration): waits until
 * an earlier run, of any environment, has succeeded — and then soaks — or fails when that run did not succeed.
 */
export const awaitRun: StepExecutor = async (ctx) => {
  const runId = String(ctx.step.params.runId);
  const soakSeconds = Number(ctx.step.params.soakSeconds ?? 0);
  const state = ctx.step.state as { soakStartedAt?: number };
  const other = await ctx.port.runStatus(runId);
  if (!other) return { kind: "fail", error: `run ${runId} this run depends on does not exist` };
  const what = `${other.type} run ${runId} on ${other.env}`;
  if (ENDED_BADLY.includes(other.status))
    return {
      kind: "fail",
      error: `${what} ${other.status}${other.error ? ` (${other.error})` : ""}; this run only starts after it succeeds`,
    };
  // Real mode: a run this one waits for may take hours (a paced backfill); no need to ask every poll interval.
  if (other.status !== "succeeded")
    return {
      kind: "wait",
      ms: ctx.timing.simulated ? ctx.pollMs : Math.max(ctx.pollMs, 30_000),
      note: `waiting for ${what} (${other.status})`,
    };
  if (soakSeconds > 0 && state.soakStartedAt === undefined) {
    state.soakStartedAt = ctx.now();
    ctx.save();
    return {
      kind: "wait",
      ms: ctx.timing.simulated ? soakSeconds * 1000 * ctx.timing.waitFactor : soakSeconds * 1000,
      note: `${what} succeeded; soaking ${soakSeconds}s before going on`,
    };
  }
  if (soakSeconds > 0 && !ctx.timing.simulated && ctx.now() < state.soakStartedAt! + soakSeconds * 1000) {
    return { kind: "wait", ms: state.soakStartedAt! + soakSeconds * 1000 - ctx.now(), note: `soaking after ${what}` };
  }
  return { kind: "done", note: `${what} succeeded${soakSeconds > 0 ? `; soaked ${soakSeconds}s` : ""}` };
};

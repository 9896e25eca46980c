import { byReason } from "../../domain/backfill-policy";
import { BackfillParams } from "../../domain/run";
import { DEFAULT_BACKFILL_RATE } from "../../plan/backfill";
import type { OpsBatch } from "../../providers/ops/api";
import type { StepContext, StepExecutor, StepResult } from "../context";
import type { BackfillProgress } from "../outputs";
import type { StepState } from "../step-state";
import { throttleReason } from "./backfill-health";
import { judgeBackfill } from "./backfill-verdict";
import { nextWindowStart } from "./window";
import { isoAt } from "../../domain/time";

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
export const backfill: StepExecutor<"backfill"> = async (ctx) => {
  const params = backfillParams(ctx);
  const ops = await ctx.opsFor(ctx.env);
  const { state } = ctx.step;
  const { batchSize, intervalMs, rate } = pacing(params);
  if (state.startedAt === undefined || state.nextAt === undefined || state.progress === undefined) {
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
  const { progress, startedAt, nextAt } = state;
  // After a stop (or a slow batch) never catch up in a burst: the rate is a ceiling, so restart from now.
  const dueAt = !ctx.timing.simulated && ctx.now() - nextAt > intervalMs ? ctx.now() : nextAt;
  if (params.window) {
    const opens = nextWindowStart(dueAt, params.window);
    if (opens > dueAt) {
      state.nextAt = opens;
      progress.note = `outside the ${params.window.start}–${params.window.end} ${params.window.tz} window: next batch at ${isoAt(opens)}`;
      publish(ctx, progress);
      return { kind: "wait", ms: waitFor(ctx, dueAt, opens), note: progress.note };
    }
  }
  if (params.maxRuntimeSeconds && dueAt - startedAt >= params.maxRuntimeSeconds * 1000) {
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
  progress.firstBatchAt ??= isoAt(dueAt);
  progress.lastBatchAt = isoAt(dueAt);
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

/** The run's backfill settings, as its planner validated them (plan params are the request's, untyped). */
function backfillParams(ctx: StepContext): BackfillParams {
  return BackfillParams.parse(ctx.run.plan.params);
}

/**
 * Coverage of the derivable rows, the bound on underivable ones and the invariants decide whether the backfill
 * succeeded (plan/backfill.ts says why); a dry run has nothing to verify.
 */
export const verifyBackfill: StepExecutor<"verify-backfill"> = async (ctx) => {
  const params = backfillParams(ctx);
  const progress = ctx.run.outputs.progress;
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
  state: StepState,
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
    const since = held?.since ?? isoAt(dueAt);
    progress.throttle = { ...why, since };
    progress.note = `Paused since ${since}: ${why.reason}; batches continue by themselves when it recovers`;
    state.nextAt = dueAt + checkMs;
    publish(ctx, progress);
    return { kind: "wait", ms: waitFor(ctx, dueAt, state.nextAt), note: progress.note };
  }
  if (held) {
    progress.pauses = [
      ...(progress.pauses ?? []),
      { since: held.since, until: isoAt(dueAt), reason: held.reason },
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

const ENDED_BADLY = ["failed", "rolled-back", "cancelled", "rejected"];

/**
 * Chained plans (migrate → backfill staging → backfill production; deploy → contract migration): waits until
 * an earlier run, of any environment, has succeeded — and then soaks — or fails when that run did not succeed.
 */
export const awaitRun: StepExecutor<"await-run"> = async (ctx) => {
  const { runId, soakSeconds } = ctx.step.params;
  const { state } = ctx.step;
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
  const soakEnds = (state.soakStartedAt ?? 0) + soakSeconds * 1000;
  if (soakSeconds > 0 && !ctx.timing.simulated && ctx.now() < soakEnds) {
    return { kind: "wait", ms: soakEnds - ctx.now(), note: `soaking after ${what}` };
  }
  return { kind: "done", note: `${what} succeeded${soakSeconds > 0 ? `; soaked ${soakSeconds}s` : ""}` };
};

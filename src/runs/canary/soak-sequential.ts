/**
 * One canary weight step under the anytime-valid judge (src/monitor/sequential/), for both routers.
 *
 * The judge lives in the DO's JudgeStore for the whole rollout. Before the first step it is seeded with the
 * stable's last LEAD_IN_SECONDS from Railway's logs, so a baseline exists before any canary request. Each
 * step sets its weight with a salt (the step's id) and a deadline, then: with a load balancer, every check
 * interval samples canary and baseline from Railway's logs and feeds the window to the judge (one look);
 * with the edge router, report ingestion feeds every second it reports and moves traffic to 0% itself the
 * moment the evidence crosses 1/α, so the step only watches the soak's clock. Either way the step rolls
 * back as soon as the judge has recorded a rollback, and at the end of the soak passes, soaks once more, or
 * halts for a person (stepOutcome: never a pass on too few samples).
 */
import { canaryTransition } from "../../domain/canary";
import { isoAt } from "../../domain/time";
import { countsFromSample } from "../../monitor/sequential/batches";
import { formatEValue } from "../../monitor/sequential/explain";
import { evaluateSequential, type SequentialMetric, stepOutcome } from "../../monitor/sequential/judge";
import type { StepContext, StepExecutor, StepResult } from "../context";
import { halt, rollBack } from "./actions";
import { canaryOf, routerOf, saveCanary } from "./executors";
import type { JudgeRecord } from "./judge-store";
import { baselineDeploymentOf, healthUrlOf, sampleBoth, sampleLogsAndHealth, sampleTrack } from "./signals";

/** Stable traffic the judge sees before the first step: the latency reference needs 200 durations of it. */
export const LEAD_IN_SECONDS = 300;
/** Beyond two soaks (one extension), how long the edge router may keep the canary without hearing from Infra Chat. */
const DEADLINE_GRACE_MS = 120_000;
/** In the sandbox's simulated time, an edge step whose router has been silent this long (real time) stops waiting. */
const SILENT_ROUTER_MS = 60_000;
/**
 * In simulated time an edge step waits on the sandbox's router, not on its own clock: it looks again at least
 * this much later (real time), so it never keeps the object too busy to take the reports it waits for.
 */
const SIMULATED_EDGE_WAKE_MS = 100;

export const sequentialStep: StepExecutor<"canary-step"> = async (ctx) => {
  const { weight } = ctx.step.params;
  const { state } = ctx.step;
  let { canary } = canaryOf(ctx);
  if (ctx.run.outputs.promoteNow) {
    ctx.judges.close(ctx.run.id, ctx.now());
    return { kind: "done", note: "soak skipped: promote now was requested" };
  }
  let record = judgeOf(ctx);
  if (canary.phase === "halted" && state.startedAt !== undefined) {
    const resumed = await resume(ctx, record);
    if (resumed) return resumed;
    record = judgeOf(ctx);
    canary = canaryOf(ctx).canary;
  }
  if (state.startedAt === undefined) return startStep(ctx, record);
  record = record.router === "load-balancer" ? await lookAtWindow(ctx, record) : await edgeSideChecks(ctx, record);
  mirror(ctx, record);
  const outcome = stepOutcome(record.state, record.config, soakEnded(ctx, record));
  switch (outcome.kind) {
    case "rollback": {
      const reason = rollbackReason(ctx, record);
      if (ctx.env.spec.policies.autoRollback) return rollBack(ctx, reason, record.zeroPushedAt !== null);
      await refreshDeadline(ctx, record);
      return halt(ctx, `${reason}; auto-rollback is off, so a person decides: resume, promote or rollback`);
    }
    case "continue":
      return wait(ctx, progressNote(ctx, record));
    case "extend":
      mirror(ctx, ctx.judges.extend(ctx.run.id));
      return wait(ctx, outcome.reason);
    case "halt":
      await refreshDeadline(ctx, record);
      return halt(ctx, outcome.reason);
    case "pass":
      // The last weight's pass ends the judging: later reports are answered, no longer counted.
      if (ctx.step.params.index === canary.steps.length - 1) ctx.judges.close(ctx.run.id, ctx.now());
      return { kind: "done", note: `${weight}% soaked: ${outcome.reason}` };
  }
};

function judgeOf(ctx: StepContext<"canary-step">): JudgeRecord {
  const record = ctx.judges.get(ctx.run.id);
  if (!record) throw new Error(`run ${ctx.run.id} has no canary judge: canary-split did not open it`);
  return record;
}

/** The salt of this step's assignment: a retry of the step keeps it, the next step draws afresh. */
const saltOf = (ctx: StepContext<"canary-step">) => `${ctx.run.id}/${ctx.step.id}`;

async function startStep(ctx: StepContext<"canary-step">, record: JudgeRecord): Promise<StepResult> {
  const { weight, index } = ctx.step.params;
  const { state } = ctx.step;
  const now = ctx.now();
  if (!record.leadIn) record = await seedLeadIn(ctx, now);
  record = ctx.judges.beginStep(ctx.run.id, {
    index,
    weight,
    at: now,
    salt: saltOf(ctx),
    autoRollback: ctx.env.spec.policies.autoRollback,
  });
  const { binding } = canaryOf(ctx);
  await routerOf(ctx).setCanaryWeight(binding, weight, { salt: saltOf(ctx), deadline: deadlineFor(ctx, record) });
  const { canary } = canaryOf(ctx);
  saveCanary(
    ctx,
    canaryTransition({ ...canary, weight, stepIndex: index }, "progressing", isoAt(now), `weight ${weight}%`),
  );
  state.startedAt = state.windowEnd = now;
  state.checks = 0;
  mirror(ctx, record);
  ctx.save();
  return wait(ctx, `${weight}% to ${canary.service}-canary`);
}

/** The stable's last LEAD_IN_SECONDS (Railway HTTP and runtime logs, a health probe) as the first baseline. */
async function seedLeadIn(ctx: StepContext<"canary-step">, now: number): Promise<JudgeRecord> {
  const { service } = canaryOf(ctx).canary;
  const sample = await sampleTrack(ctx, {
    deploymentId: await baselineDeploymentOf(ctx, service, ctx.step.state),
    window: { start: now - LEAD_IN_SECONDS * 1000, end: now },
    patterns: ctx.env.spec.policies.canary.criticalPatterns,
    healthUrl: await healthUrlOf(ctx, service),
  });
  return ctx.judges.seedLeadIn(ctx.run.id, countsFromSample(sample), now);
}

/** Load balancer: one check window of both tracks from Railway, one look. */
async function lookAtWindow(ctx: StepContext<"canary-step">, record: JudgeRecord): Promise<JudgeRecord> {
  const { state } = ctx.step;
  const intervalMs = ctx.env.spec.policies.canary.intervalSeconds * 1000;
  const start = state.windowEnd ?? state.startedAt ?? ctx.now();
  const window = { start, end: ctx.timing.simulated ? start + intervalMs : ctx.now() };
  if (window.end <= window.start) return record;
  const { canarySample, baselineSample } = await sampleBoth(ctx, canaryOf(ctx).canary.service, window, state);
  const batch = { canary: countsFromSample(canarySample), baseline: countsFromSample(baselineSample) };
  const { record: next } = ctx.judges.observe(ctx.run.id, batch, window.end);
  state.windowEnd = window.end;
  state.checks = (state.checks ?? 0) + 1;
  ctx.save();
  return next;
}

/** Windows of side checks an edge step catches up on per wake (the sandbox's router may be far ahead). */
const SIDE_CHECKS_PER_WAKE = 4;

/**
 * Edge router: every check interval of the router's reported time, the critical log lines of both tracks (Railway's
 * runtime logs) and a probe of each one's health, with the requests the router counted in the same window as the
 * logs' exposure: one look. 5xx and latency come from the router itself, every second.
 */
async function edgeSideChecks(ctx: StepContext<"canary-step">, record: JudgeRecord): Promise<JudgeRecord> {
  const { state } = ctx.step;
  const { salt, stepFirstSecond: first, stepLastSecond: last } = record;
  if (salt === null || first === null || last === null) return record;
  const intervalMs = ctx.env.spec.policies.canary.intervalSeconds * 1000;
  const { service } = canaryOf(ctx).canary;
  const canaryDeployment = ctx.run.outputs.deployed?.[`${service}-canary`]?.deploymentId;
  if (!canaryDeployment) return record;
  const patterns = ctx.env.spec.policies.canary.criticalPatterns;
  const reportedUntil = (last + 1) * 1000;
  for (let i = 0; i < SIDE_CHECKS_PER_WAKE; i++) {
    const start = Math.max(state.windowEnd ?? 0, first * 1000);
    const window = { start, end: start + intervalMs };
    if (window.end > reportedUntil) break;
    const [canary, baseline] = await Promise.all([
      sampleLogsAndHealth(ctx, {
        deploymentId: canaryDeployment,
        window,
        patterns,
        healthUrl: await healthUrlOf(ctx, `${service}-canary`),
      }),
      sampleLogsAndHealth(ctx, {
        deploymentId: await baselineDeploymentOf(ctx, service, state),
        window,
        patterns,
        healthUrl: await healthUrlOf(ctx, service),
      }),
    ]);
    const requests = ctx.judges.requestsBetween(ctx.run.id, salt, window.start / 1000, window.end / 1000);
    const batch = {
      canary: { requests: 0, errors: 0, ...canary, logRequests: requests.canary },
      baseline: { requests: 0, errors: 0, ...baseline, logRequests: requests.stable },
    };
    record = ctx.judges.observe(ctx.run.id, batch, window.end).record;
    state.windowEnd = window.end;
    state.checks = (state.checks ?? 0) + 1;
    ctx.save();
  }
  return record;
}

/**
 * Whether the step has soaked long enough (twice as long once extended). Real time, except for the edge
 * router in the sandbox, whose time is the simulated seconds it reports: the step's soak is as long as the
 * seconds the router has reported under its salt (or over, when the router has been silent a minute).
 */
function soakEnded(ctx: StepContext<"canary-step">, record: JudgeRecord): boolean {
  const { state } = ctx.step;
  const soakMs = ctx.env.spec.policies.canary.soakSeconds * 1000 * (record.state.step.extended ? 2 : 1);
  const startedAt = state.startedAt ?? ctx.now();
  if (record.router === "load-balancer") return (state.windowEnd ?? startedAt) - startedAt >= soakMs;
  if (!ctx.timing.simulated) return ctx.now() - startedAt >= soakMs;
  const { stepFirstSecond: first, stepLastSecond: last } = record;
  if (first !== null && last !== null && (last + 1 - first) * 1000 >= soakMs) return true;
  const now = ctx.now();
  return now - startedAt >= SILENT_ROUTER_MS && now - (record.lastReportAt ?? startedAt) >= SILENT_ROUTER_MS;
}

/**
 * When the edge router gives the canary up by itself: two soaks and a grace after the step starts, on the
 * router's own clock (its latest reported second, which in the sandbox runs ahead of the wall clock).
 */
function deadlineFor(ctx: StepContext<"canary-step">, record: JudgeRecord): number {
  const soakMs = ctx.env.spec.policies.canary.soakSeconds * 1000;
  const clock = Math.max(record.routerSecond ?? 0, ctx.judges.routerClock(record.route) ?? 0);
  const routerNow = Math.max(ctx.now(), clock * 1000);
  return routerNow + 2 * soakMs + DEADLINE_GRACE_MS;
}

/** A halted edge canary keeps its weight for a bounded time: if nobody comes back, the router drops it. */
async function refreshDeadline(ctx: StepContext<"canary-step">, record: JudgeRecord): Promise<void> {
  const { binding, canary } = canaryOf(ctx);
  if (binding.kind !== "edge" || canary.weight <= 0) return;
  await routerOf(ctx).setCanaryWeight(binding, canary.weight, {
    salt: saltOf(ctx),
    deadline: deadlineFor(ctx, record),
  });
}

/**
 * A person resumed a halted step. Past a rollback decision the evidence starts again (their call stands, and
 * a regression that shows up later still rolls back); past a sample shortfall the step passes on their word.
 */
async function resume(ctx: StepContext<"canary-step">, record: JudgeRecord): Promise<StepResult | null> {
  const { canary } = canaryOf(ctx);
  saveCanary(ctx, canaryTransition(canary, "progressing", isoAt(ctx.now()), "resumed"));
  if (!record.state.rollback) {
    mirror(ctx, record);
    return { kind: "done", note: `resumed by a person at ${canary.weight}% with fewer samples than a pass needs` };
  }
  const restarted = ctx.judges.restart(ctx.run.id, ctx.now());
  const { binding } = canaryOf(ctx);
  await routerOf(ctx).setCanaryWeight(binding, ctx.step.params.weight, {
    salt: saltOf(ctx),
    deadline: deadlineFor(ctx, restarted),
  });
  mirror(ctx, restarted);
  return null;
}

/** Copies the judge into run outputs, which the live chart, chat and metrics.json read (only when it changed). */
function mirror(ctx: StepContext<"canary-step">, record: JudgeRecord): void {
  const shown = ctx.run.outputs.sequential;
  if (
    shown &&
    shown.lookCount === record.lookCount &&
    shown.counted.reports === record.counted.reports &&
    shown.state.step.index === record.state.step.index &&
    shown.state.step.extended === record.state.step.extended &&
    shown.state.rollback?.look === record.state.rollback?.look &&
    shown.zeroPushedAt === record.zeroPushedAt &&
    (shown.leadIn === null) === (record.leadIn === null)
  )
    return;
  const outputs = ctx.judges.outputs(record.runId);
  if (outputs) ctx.run.outputs.sequential = outputs;
  ctx.save();
}

function wait(ctx: StepContext<"canary-step">, note: string): StepResult {
  const intervalMs = ctx.env.spec.policies.canary.intervalSeconds * 1000;
  const edgeFloor = ctx.timing.simulated && ctx.run.outputs.traffic?.kind === "edge" ? SIMULATED_EDGE_WAKE_MS : 0;
  return { kind: "wait", ms: Math.max(intervalMs * ctx.timing.waitFactor, edgeFloor), note };
}

/** The metric that decided, in a few words with its counts (the full sentence goes to incident.md). */
export function metricInBrief(m: SequentialMetric): string {
  const { canary: c, baseline: b, events: x } = m;
  const ms = (v: number | null) => (v === null ? "?" : `${Math.round(v)}ms`);
  switch (m.metric) {
    case "errors":
      return `5xx canary ${x.canary}/${c.n} vs baseline ${x.baseline}/${b.n}`;
    case "latency":
      return `p95 canary ${ms(c.value)} vs baseline ${ms(b.value)} (n=${c.n}/${b.n})`;
    case "logs":
      return `critical log lines canary ${x.canary} in ${c.n} requests vs baseline ${x.baseline} in ${b.n}`;
    case "synthetic":
      return `failed health checks canary ${x.canary}/${c.n} vs baseline ${x.baseline}/${b.n}`;
  }
}

/** Why the judge rolled back: the evidence against 1/α, and the metric that carried it. */
function rollbackReason(ctx: StepContext<"canary-step">, record: JudgeRecord): string {
  const verdict = evaluateSequential(record.state, record.config);
  const lead = verdict.metrics.find((m) => m.metric === record.state.rollback?.metric) ?? verdict.metrics[0];
  const evidence = record.state.rollback?.evidence ?? verdict.logEvidence;
  return `regression at ${ctx.step.params.weight}%: ${metricInBrief(lead)}; evidence ${formatEValue(evidence)} ≥ 1/α = ${formatEValue(verdict.logThreshold)} (α ${record.config.alpha})`;
}

function progressNote(ctx: StepContext<"canary-step">, record: JudgeRecord): string {
  const v = evaluateSequential(record.state, record.config);
  const { stepCanary, canary, baseline } = v.samples;
  return `${ctx.step.params.weight}%: evidence ${formatEValue(v.logEvidence)} of ${formatEValue(v.logThreshold)} (canary n=${stepCanary} this step, ${canary} in all; baseline n=${baseline})`;
}

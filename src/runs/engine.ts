import type { AuditInput } from "../audit/chain";
import { fullJitterDelay } from "../domain/backoff";
import { AppError, errorText } from "../domain/errors";
import type { Plan, RunStatus } from "../domain/run";
import { canTransition, isTerminal } from "../domain/run";
import type { Actor } from "../policy/approval";
import { mayApprove } from "../policy/approval";
import type { Receipt } from "../providers/types";
import { appendReceipts, runJson, writeCanaryMetrics, writePlanArtifacts } from "./artifacts";
import { writeCanaryIncident } from "./canary/incident";
import { RunTraffic } from "./canary/run-traffic";
import { compensateFailedRun } from "./failure";
import { executeStep, MAX_STEP_ATTEMPTS } from "./step-runner";
import type { RunRecord, StepRecord } from "./store";
import type { EngineDeps } from "./types";
import { isoAt } from "../domain/time";

export type { Commit, EngineDeps, ProviderSet, RunEvent } from "./types";

const TICK_BUDGET_MS = 20_000;
/** A failed step is retried with backoff: the first retry within a second, later ones at most a minute apart. */
const STEP_RETRY_BASE_MS = 500;
const STEP_RETRY_CAP_MS = 60_000;
/** The schedule key of the sweep that cancels runs whose approval window ran out. */
export const APPROVAL_EXPIRY = "approvals";

/** The run queue and state machine of one environment; the EnvironmentDO is its shell. */
export class RunEngine {
  #ticking = false;
  /** Settles when the step executing (if any) has returned and recorded its outcome: see stop(). */
  #idle: Promise<void> = Promise.resolve();

  readonly #traffic: RunTraffic;

  constructor(private readonly deps: EngineDeps) {
    this.#traffic = new RunTraffic(deps);
  }

  /** Accepts an applied plan: 409 when already applied or a run of its type is waiting. */
  async enqueue(plan: Plan, requester: Actor): Promise<RunRecord> {
    const { store } = this.deps;
    if (store.runByPlan(plan.id)) throw new AppError("conflict", `plan ${plan.id} was already applied`);
    const waiting = store.runsIn(["queued", "awaiting-approval"]).find((r) => r.type === plan.type);
    if (waiting)
      throw new AppError("conflict", `a ${plan.type} run is already queued for ${plan.env} (${waiting.id})`, {
        runId: waiting.id,
      });
    const now = isoAt(this.deps.now());
    const draft: Omit<RunRecord, "seq"> = {
      id: plan.runId,
      planId: plan.id,
      priority: rollsBack(plan) ? 10 : 0,
      type: plan.type,
      status: "queued",
      requestedBy: requester.id,
      plan,
      approvals: null,
      error: null,
      outputs: {},
      createdAt: now,
      startedAt: null,
      endedAt: null,
    };
    const steps: StepRecord[] = plan.steps.map((s, idx) => ({
      ...s,
      runId: plan.runId,
      idx,
      status: "pending",
      attempts: 0,
      startedAt: null,
      endedAt: null,
      error: null,
      receiptIds: [],
      state: {},
    }));
    if (plan.requiresApproval) {
      const { spec } = await this.deps.port.loadEnv(plan.envId, plan.specRevision);
      const expiresAt = this.deps.now() + spec.policies.approvalWindowMinutes * 60_000;
      draft.status = "awaiting-approval";
      draft.approvals = {
        required: true,
        planDigest: await this.deps.planDigest(plan),
        approvedBy: [],
        expiresAt: isoAt(expiresAt),
        plannedBy: plan.createdBy,
        codeKeyId: this.deps.approvalKeyId(),
      };
      this.#scheduleExpiry(expiresAt);
    }
    const run = store.insertRun(draft, steps);
    const audit: AuditInput[] = [
      {
        actor: requester.id,
        action: "run.applied",
        planId: plan.id,
        runId: run.id,
        intent: plan.type,
        diffSummary: diffSummary(plan),
      },
    ];
    const preempted = rollsBack(plan) && run.status === "queued" ? this.#preemptDeploys(run.id) : [];
    if (run.status === "queued") this.#startIfIdle(run);
    // Scheduled before any effect that can fail: a run the object holds as running always has a tick coming.
    this.#wake();
    for (const r of preempted) {
      await this.deps.commit({
        run: r,
        steps: store.steps(r.id),
        audit: [{ actor: "infra-chat", action: "run.preempted", runId: r.id, details: { by: run.id } }],
      });
    }
    await this.deps.commit({ run, steps, audit });
    // The plan's artifacts are a copy of what D1 holds: failing to write them must not undo an accepted run.
    await writePlanArtifacts(this.deps.artifacts, run, this.deps.store.steps(run.id)).catch((e: unknown) =>
      console.error("plan artifacts not written", run.id, errorText(e)),
    );
    if (run.status === "awaiting-approval") await this.deps.notify(run, { kind: "approval-needed" });
    await this.deps.arm();
    return run;
  }

  /** Skips the rest of a canary's soak and promotes now (resuming a halted canary). */
  async promote(runId: string, actor: Actor): Promise<RunRecord> {
    const run = this.#get(runId);
    if (!run.outputs.canary) throw new AppError("conflict", `run ${runId} has no canary to promote`);
    if (run.status !== "running" && run.status !== "stopped")
      throw new AppError("conflict", `run ${runId} is ${run.status}`);
    run.outputs.promoteNow = true;
    this.deps.store.saveOutputs(run);
    if (run.status === "stopped") this.#transition(run, "running");
    this.#wake();
    await this.deps.commit({ run, steps: [], audit: [{ actor: actor.id, action: "canary.promote-now", runId }] });
    await this.deps.arm();
    return run;
  }

  /** Approves an awaiting run; the approver must satisfy the approval policy. */
  async approve(runId: string, approver: Actor): Promise<RunRecord> {
    const run = this.#get(runId);
    if (run.status !== "awaiting-approval" || !run.approvals)
      throw new AppError("conflict", `run ${runId} is ${run.status}, not awaiting approval`);
    const verdict = mayApprove(approver, {
      env: run.plan.env,
      requiresApproval: run.plan.requiresApproval,
      requestedBy: run.requestedBy,
      approvals: run.approvals,
    });
    if (!verdict.ok) throw new AppError("forbidden", verdict.reason);
    // An unparseable deadline counts as passed: a window that cannot be read does not stay open.
    if (!(Date.parse(run.approvals.expiresAt) > this.deps.now()))
      throw new AppError("conflict", "the approval window has expired: plan again");
    run.approvals = { ...run.approvals, approvedBy: [...run.approvals.approvedBy, approver.id] };
    this.#transition(run, "queued");
    this.#startIfIdle(run);
    this.#wake();
    await this.deps.commit({
      run,
      steps: [],
      audit: [{ actor: approver.id, action: "run.approved", runId, planId: run.planId }],
    });
    await this.deps.arm();
    return run;
  }

  /** Cancels every run whose approval window has run out; its codes died with the window. */
  async expireApprovals(): Promise<RunRecord[]> {
    const now = this.deps.now();
    const expired: RunRecord[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const run of this.deps.store.runsIn(["awaiting-approval"])) {
      const deadline = Date.parse(run.approvals?.expiresAt ?? "");
      if (deadline > now) {
        next = Math.min(next, deadline);
        continue;
      }
      run.error = "the approval window ran out before an admin approved: plan again";
      const steps = this.#skipRemaining(run.id);
      expired.push(
        await this.#finish(
          run,
          "cancelled",
          { actor: "infra-chat", action: "run.approval-expired", runId: run.id, planId: run.planId },
          steps,
        ),
      );
    }
    if (Number.isFinite(next)) this.#scheduleExpiry(next);
    await this.deps.arm();
    return expired;
  }

  /** Rejects an awaiting run. */
  async reject(runId: string, actor: Actor, reason?: string): Promise<RunRecord> {
    const run = this.#get(runId);
    if (run.status !== "awaiting-approval")
      throw new AppError("conflict", `run ${runId} is ${run.status}, not awaiting approval`);
    if (actor.role === "viewer") throw new AppError("forbidden", "viewers cannot reject runs");
    run.approvals = run.approvals ? { ...run.approvals, rejectedBy: actor.id } : null;
    run.error = reason ?? null;
    return this.#finish(run, "rejected", {
      actor: actor.id,
      action: "run.rejected",
      runId,
      details: reason ? { reason } : undefined,
    });
  }

  /** Cancels a run that has not finished; a running step is not interrupted mid-call. */
  async cancel(runId: string, actor: Actor, reason?: string): Promise<RunRecord> {
    const run = this.#get(runId);
    if (!canTransition(run.status, "cancelled"))
      throw new AppError("conflict", `run ${runId} is ${run.status} and cannot be cancelled`);
    if (reason) run.error = reason;
    const steps = this.#skipRemaining(run.id);
    const drained = await this.#traffic.drain(run);
    const done = await this.#finish(
      run,
      "cancelled",
      {
        actor: actor.id,
        action: "run.cancelled",
        runId,
        details:
          drained || reason
            ? { ...(drained ? { canary: "drained to 0%" } : {}), ...(reason ? { reason } : {}) }
            : undefined,
      },
      steps,
    );
    this.#wake();
    await this.deps.arm();
    return done;
  }

  /**
   * Pauses a running run at the next step boundary, and answers once that boundary is reached: a step in
   * flight (a backfill batch the app is already writing) is recorded first, so after "stopped" nothing moves.
   */
  async stop(runId: string, actor: Actor): Promise<RunRecord> {
    const run = this.#get(runId);
    if (run.status !== "running") throw new AppError("conflict", `run ${runId} is ${run.status}, not running`);
    this.#transition(run, "stopped");
    await this.deps.commit({ run, steps: [], audit: [{ actor: actor.id, action: "run.stopped", runId }] });
    await this.#idle;
    return this.#get(runId);
  }

  /** Resumes a stopped run. */
  async resume(runId: string, actor: Actor): Promise<RunRecord> {
    const run = this.#get(runId);
    if (run.status !== "stopped") throw new AppError("conflict", `run ${runId} is ${run.status}, not stopped`);
    this.#transition(run, "running");
    this.#wake();
    await this.deps.commit({ run, steps: [], audit: [{ actor: actor.id, action: "run.resumed", runId }] });
    await this.deps.arm();
    return run;
  }

  /** A run and its steps. */
  view(runId: string): { run: RunRecord; steps: StepRecord[] } {
    return { run: this.#get(runId), steps: this.deps.store.steps(runId) };
  }

  /** Advances the active run (and the queue behind it) until something has to wait; alarm-driven. */
  async tick(): Promise<void> {
    if (this.#ticking) return this.#wake();
    this.#ticking = true;
    try {
      const deadline = this.deps.now() + TICK_BUDGET_MS;
      while (this.deps.now() < deadline) {
        const run = this.#active() ?? this.#startNext();
        if (!run) return;
        const waitUntil = await this.#advance(run);
        if (waitUntil !== null) {
          this.deps.store.schedule("tick", waitUntil);
          return;
        }
      }
      this.#wake();
    } finally {
      this.#ticking = false;
      await this.deps.arm();
    }
  }

  #active(): RunRecord | null {
    return this.deps.store.runsIn(["running"])[0] ?? null;
  }

  #startNext(): RunRecord | null {
    const next = this.deps.store.runsIn(["queued"])[0];
    if (!next) return null;
    this.#transition(next, "running");
    return next;
  }

  #startIfIdle(run: RunRecord): void {
    if (run.status === "queued" && !this.deps.store.runsIn(["running"]).some((r) => r.id !== run.id)) {
      const head = this.deps.store.runsIn(["queued"])[0];
      if (!head || head.id === run.id || head.priority <= run.priority) this.#transition(run, "running");
    }
  }

  /** Runs steps until the run waits (returns the wake-up time) or ends (returns null). */
  async #advance(run: RunRecord): Promise<number | null> {
    for (const step of this.deps.store.steps(run.id)) {
      if (step.status === "succeeded" || step.status === "skipped" || step.status === "failed") continue;
      const current = this.deps.store.getRun(run.id);
      if (current?.status !== "running") return null;
      Object.assign(run, current);
      const executing = executeStep(this.deps, run, step);
      this.#idle = executing.then(
        () => undefined,
        () => undefined,
      );
      const result = await executing;
      if (result.kind === "wait") return this.deps.now() + result.ms;
      if (result.kind === "rollback") {
        await this.#rolledBack(run, result.reason);
        return null;
      }
      if (result.kind === "halt") {
        await this.#halt(run, result.reason);
        return null;
      }
      if (result.kind === "fail") {
        // The provider's wait is in its own time (the sandbox's runs scaled): the alarm waits it in wall time.
        if (result.retryAfterMs !== undefined && step.attempts < MAX_STEP_ATTEMPTS)
          return this.deps.now() + this.deps.wallMs(retryDelay(step.attempts, result.retryAfterMs));
        await this.#fail(run, step, result.error);
        return null;
      }
    }
    await this.#finish(run, "succeeded", {
      actor: "infra-chat",
      action: "run.succeeded",
      runId: run.id,
      details: { release: run.outputs.releaseVersion },
    });
    return null;
  }

  async #fail(run: RunRecord, step: StepRecord, error: string): Promise<void> {
    run.error = `${step.kind} (${step.id}) failed: ${error}`;
    const steps = this.#skipRemaining(run.id);
    const receipts: Receipt[] = [];
    // Whatever compensation meets, the run still ends: a failure to restore is reported, not a hang.
    const restored = await this.deps
      .providers((r) => receipts.push(r), "critical")
      .then((providers) =>
        compensateFailedRun({
          run,
          steps: this.deps.store.steps(run.id),
          providers,
          port: this.deps.port,
          artifacts: this.deps.artifacts,
          failedStep: step,
          error,
        }),
      )
      .catch((e: unknown) => {
        run.error = `${run.error}; restoring what went live failed: ${errorText(e)}`;
        return [];
      });
    if (receipts.length) await appendReceipts(this.deps.artifacts, run.id, "compensation", receipts);
    // Restoring what went live is a provider write like any other: its receipts land with the run's end.
    await this.#finish(
      run,
      "failed",
      {
        actor: "infra-chat",
        action: "run.failed",
        runId: run.id,
        planId: run.planId,
        diffSummary: run.error,
        details: { restored, incident: `runs/${run.id}/incident.md` },
      },
      steps,
      receipts.map((receipt) => ({ stepId: "compensation", receipt })),
    );
    await this.deps.notify(run, { kind: "failed", error: run.error });
  }

  /** Traffic is already back on stable (the canary step did that first); end the run and tell people. */
  async #rolledBack(run: RunRecord, reason: string): Promise<void> {
    run.error = reason;
    const steps = this.#skipRemaining(run.id);
    const score = run.outputs.canary?.lastScore ?? null;
    const requester = await this.deps.port.userName(run.requestedBy).catch(() => null);
    await writeCanaryIncident(
      this.deps.artifacts,
      run,
      this.deps.store.steps(run.id),
      reason,
      requester,
      this.deps.timing.simulated,
    );
    await this.#finish(
      run,
      "rolled-back",
      {
        actor: "infra-chat",
        action: "run.rolled-back",
        runId: run.id,
        planId: run.planId,
        diffSummary: reason,
        details: { score, incident: `runs/${run.id}/incident.md`, weight: 0 },
      },
      steps,
    );
    await this.deps.notify(run, { kind: "rolled-back", reason, score });
  }

  /** Stops the run where it is; the same step runs again on resume or promote. */
  async #halt(run: RunRecord, reason: string): Promise<void> {
    this.#transition(run, "stopped");
    await this.deps.commit({
      run,
      steps: [],
      audit: [{ actor: "infra-chat", action: "run.halted", runId: run.id, diffSummary: reason }],
    });
    await writeCanaryMetrics(this.deps.artifacts, run);
    const score = run.outputs.canary?.lastScore ?? null;
    await this.deps.notify(run, { kind: "halted", reason, score });
  }

  /**
   * The judge decided while report ingestion held the data (edge router): traffic goes to 0% now, without
   * waiting for the step's next wake, and the step is woken to record the rollback.
   */
  async moveCanaryToZero(runId: string): Promise<void> {
    const run = this.deps.store.getRun(runId);
    if (!run?.outputs.traffic || isTerminal(run.status)) return;
    try {
      if (await this.#traffic.pushZero(run)) this.deps.judges.markZeroPushed(runId, this.deps.now());
    } finally {
      this.#wake();
      await this.deps.arm();
    }
  }

  async #finish(
    run: RunRecord,
    status: RunStatus,
    audit: AuditInput,
    steps: StepRecord[] = [],
    receipts: { stepId: string; receipt: Receipt }[] = [],
  ): Promise<RunRecord> {
    const { outputs, error } = run;
    Object.assign(run, this.deps.store.getRun(run.id), { outputs, error: error ?? run.error });
    if (isTerminal(run.status)) return run;
    const released = await this.#traffic.release(run);
    if (released) {
      receipts = [...receipts, ...released.receipts.map((receipt) => ({ stepId: "handback", receipt }))];
      audit = { ...audit, details: { ...audit.details, hostname: released.note } };
    }
    this.#transition(run, status);
    run.endedAt = isoAt(this.deps.now());
    this.deps.judges.close(run.id, this.deps.now());
    // What the judge counted after its step last looked (reports keep arriving until the router stops).
    const judged = this.deps.judges.outputs(run.id);
    if (judged) run.outputs.sequential = judged;
    this.deps.store.saveRun(run);
    await this.deps.commit({
      run,
      steps,
      receipts,
      audit: [
        { ...audit, ...(receipts.length ? { receiptHash: receipts.map((r) => r.receipt.requestHash).join(",") } : {}) },
      ],
    });
    await this.deps.artifacts.put(run.id, "run.json", runJson(run, this.deps.store.steps(run.id)));
    await writeCanaryMetrics(this.deps.artifacts, run);
    return run;
  }

  #skipRemaining(runId: string): StepRecord[] {
    const skipped = this.deps.store.steps(runId).filter((s) => s.status === "pending" || s.status === "running");
    for (const s of skipped) {
      Object.assign(s, { status: "skipped", endedAt: isoAt(this.deps.now()) });
      this.deps.store.saveStep(s);
    }
    return skipped;
  }

  /** A rollback takes over from a deploy that is running or waiting: the deploy ends rolled-back. */
  #preemptDeploys(rollbackRunId: string): RunRecord[] {
    return this.deps.store
      .runsIn(["running", "queued"])
      .filter((r) => r.type === "deploy")
      .map((r) => {
        this.#transition(r, "rolled-back");
        r.error = `preempted by rollback ${rollbackRunId}`;
        r.endedAt = isoAt(this.deps.now());
        this.deps.store.saveRun(r);
        this.#skipRemaining(r.id);
        this.deps.judges.close(r.id, this.deps.now());
        return r;
      });
  }

  #transition(run: RunRecord, to: RunStatus): void {
    if (!canTransition(run.status, to))
      throw new AppError("conflict", `run ${run.id} cannot go from ${run.status} to ${to}`);
    run.status = to;
    if (to === "running") run.startedAt ??= isoAt(this.deps.now());
    this.deps.store.saveRun(run);
  }

  #get(runId: string): RunRecord {
    const run = this.deps.store.getRun(runId);
    if (!run) throw new AppError("not_found", `run ${runId} not found`);
    return run;
  }

  #wake(): void {
    this.deps.store.schedule("tick", this.deps.now());
  }

  /** Keeps the expiry sweep due at the earliest open approval window's end. */
  #scheduleExpiry(at: number): void {
    const due = this.deps.store.dueAt(APPROVAL_EXPIRY);
    if (due === null || at < due) this.deps.store.schedule(APPROVAL_EXPIRY, at);
  }
}

/** The wait before a failed step's next attempt: backoff, never sooner than the provider asked. */
function retryDelay(attempts: number, atLeastMs: number): number {
  return Math.max(atLeastMs, fullJitterDelay(attempts + 1, STEP_RETRY_BASE_MS, STEP_RETRY_CAP_MS));
}

/** A rollback, or a remediation that rolls back: it jumps the queue and takes over from a deploy. */
function rollsBack(plan: Plan): boolean {
  return (
    plan.type === "rollback" || (plan.type === "remediate" && plan.steps.some((s) => s.kind === "rollback-service"))
  );
}

/** What an applied plan changes, in the audit: the count, then each change until the line is long enough. */
function diffSummary(plan: Plan): string {
  if (!plan.diff.length) return "no desired-state changes";
  const show = (v: unknown) =>
    v === undefined || v === null ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v);
  const changes = plan.diff.map((d) => `${d.path} ${show(d.from)} → ${show(d.to)}`).join("; ");
  const line = `${plan.diff.length} change${plan.diff.length > 1 ? "s" : ""}: ${changes}`;
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

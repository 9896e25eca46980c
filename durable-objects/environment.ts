import { DurableObject } from "cloudflare:workers";
import type { AnchorState } from "../src/audit/anchor";
import { AuditAnchor, nextDigestAt } from "../src/audit/anchor";
import type { AuditEvent, AuditInput } from "../src/audit/chain";
import { ChainWriter, sealWith } from "../src/audit/chain-writer";
import { remediationPlanner } from "../src/control/remediation-planner";
import type { RunAction, RunSummary, Services } from "../src/control/services";
import { adminPhones, subscriberPhones } from "../src/db/alerts";
import { d1ChainStore } from "../src/db/audit";
import type { Statement } from "../src/db/client";
import { createDesiredStateReader } from "../src/db/environments";
import { createIncidentStore } from "../src/db/incidents";
import { createControlPlanePort } from "../src/db/port";
import { expirePlanStatement, projectionStatements, stalePlannedRuns } from "../src/db/runs";
import { AppError, errorText } from "../src/domain/errors";
import type { RpcResult } from "../src/domain/errors";
import { newId } from "../src/domain/ids";
import type { Plan } from "../src/domain/run";
import { isTerminal } from "../src/domain/run";
import { MonitorEngine } from "../src/monitor/engine";
import { createMonitoredRuns } from "../src/monitor/runs";
import { createSignalSource } from "../src/monitor/signals";
import { MonitorStore, type MonitorThrottle } from "../src/monitor/store";
import { runEvidence } from "../src/monitor/run-incidents";
import type { MonitorReport } from "../src/monitor/types";
import { createRunNotifier } from "../src/notify/notifier";
import { maskPhone } from "../src/notify/texts";
import { recordEscalation, textBySid, textsOf } from "../src/db/texts";
import { createTexting } from "./texting";
import { forwardRunAlert, type ForwardDeps } from "../src/notify/undelivered";
import { planDigest } from "../src/plan/digest";
import type { Actor } from "../src/policy/approval";
import type { Receipt } from "../src/providers/types";
import type { RequestPriority } from "../src/budget/bucket";
import type { RouterReport } from "../src/edge-router/protocol";
import { type IngestOutcome, JudgeStore } from "../src/runs/canary/judge-store";
import type { Commit } from "../src/runs/engine";
import { APPROVAL_EXPIRY, RunEngine } from "../src/runs/engine";
import { LiveChannel, SNAPSHOT_RUNS, liveRun, readWatchRequest } from "../src/runs/live";
import type { LiveMessage } from "../src/runs/live";
import type { RunRecord, StepRecord } from "../src/runs/store";
import { RunStore } from "../src/runs/store";
import { StepLogReader } from "../src/runs/step-logs";
import type { StepLogs } from "../src/runs/step-logs";
import { redactCredentials, redactDeep } from "../src/security/redact";
import { appServices, REAL_WORLD, timingOf, type WorldSelector } from "../src/wiring";

/** The schedule key of the monitor's watchdog (the run engine's is "tick"). */
const WATCHDOG = "monitor";
/** The schedule key of the audit chain's hourly R2 digest. */
const AUDIT_DIGEST = "audit-digest";

/**
 * One per environment (named by environment id; "global" for events with no environment). Serializes
 * the environment's runs, owns their live state, drives them and its monitor with its alarm, and is the
 * only writer of the environment's audit chain. The work is the engines'; this class wires and answers RPC.
 */
export class EnvironmentDO extends DurableObject<Env> {
  #services: Services;
  #store: RunStore;
  #judges: JudgeStore;
  #engine: RunEngine;
  #monitor: MonitorEngine;
  #monitorStore: MonitorStore;
  #forwardDeps: ForwardDeps;
  #audit: ChainWriter<Statement>;
  #anchor: AuditAnchor;
  /** When the next audit digest is scheduled (0 when none is): one schedule write per hour, not per append. */
  #digestAt = 0;
  #live: LiveChannel;
  #logs: StepLogReader;

  /** `selectWorld` is the dev entry's way in (its subclass passes the sandbox); production has the real world only. */
  constructor(ctx: DurableObjectState, env: Env, selectWorld: WorldSelector = REAL_WORLD) {
    super(ctx, env);
    const services = appServices(env, selectWorld);
    const timing = timingOf(selectWorld(env));
    this.#services = services;
    this.#store = new RunStore(ctx.storage.sql);
    this.#judges = new JudgeStore(ctx.storage.sql, reentrantTransaction(ctx.storage));
    const monitorStore = new MonitorStore(ctx.storage.sql);
    this.#monitorStore = monitorStore;
    void ctx.blockConcurrencyWhile(async () => {
      this.#store.migrate();
      this.#judges.migrate();
      monitorStore.migrate();
    });
    this.#live = new LiveChannel(ctx);
    // Watchers keep their sockets alive with "ping" without waking the object from hibernation.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    this.#anchor = new AuditAnchor(ctx.storage, services.auditDigests, services.auditKeys, services.now);
    const seal = sealWith(() => newId("evt"), services.now, services.auditKeys);
    this.#audit = new ChainWriter(
      d1ChainStore(services.db),
      // What an event says is redacted before it is signed: step errors and summaries quote providers and logs.
      (chain, head, input) => seal(chain, head, redactDeep(input, redactCredentials)),
      (events) => this.#anchorAppend(events),
    );
    const port = createControlPlanePort(services.db, services.cipher, services.now);
    const providers = async (
      onReceipt: (r: Receipt) => void,
      envId = this.#audit.chain,
      priority: RequestPriority = "run",
    ) => services.providers({ onReceipt, redact: await services.redactor(envId), priority });
    const texting = createTexting(services, providers);
    this.#engine = new RunEngine({
      store: this.#store,
      judges: this.#judges,
      port,
      artifacts: services.runArtifacts,
      providers: (onReceipt, priority) => providers(onReceipt, undefined, priority),
      commit: (change) => this.#commit(change),
      arm: () => this.#arm(),
      planDigest,
      approvalKeyId: () => services.approvalKeys.currentId,
      notify: createRunNotifier({
        sms: texting.sms,
        port,
        publicUrl: services.publicUrl,
        approvalCode: services.approvalCode,
        subscribers: (envId) => subscriberPhones(services.db, envId),
        adminPhones: () => adminPhones(services.db),
        commit: (change) => this.#commit(change),
        statusCallback: texting.statusCallback,
        recordTexts: texting.record,
      }),
      now: services.now,
      pollMs: timing.pollMs,
      deployTimeoutMs: timing.deployTimeoutMs,
      wallMs: timing.wallMs,
      timing: timing.canary,
    });
    this.#logs = new StepLogReader({
      artifacts: services.runArtifacts,
      railway: async (redact) => services.providers({ redact }).railway,
      redactor: (envId) => services.redactor(envId),
      now: services.now,
    });
    const desired = createDesiredStateReader(services.db);
    this.#forwardDeps = {
      run: (runId) => this.#store.getRun(runId),
      chain: async (envId) => (await desired.current(envId)).spec.policies.monitoring.escalation.chain,
      texted: async (runId) => (await textsOf(services.db, { runIds: [runId] })).map((t) => t.toPhone),
      sms: texting.sms,
      statusCallback: texting.statusCallback,
      recordTexts: texting.record,
      recordEscalation: (sid, to) => recordEscalation(services.db, sid, to),
      commit: (change) => this.#commit(change),
      mask: maskPhone,
    };
    const domains = new Map<string, string | null>();
    this.#monitor = new MonitorEngine({
      store: monitorStore,
      desired,
      incidents: createIncidentStore(services.db, this.#audit),
      runs: createMonitoredRuns(this.#store, this.#engine),
      planner: remediationPlanner(services),
      bundles: services.incidentBundles,
      // Monitoring comes last when Railway's budget is short.
      signals: async (onReceipt) => createSignalSource(await providers(onReceipt, undefined, "monitor"), domains),
      alerts: (onReceipt) => texting.alerts(this.#audit.chain, onReceipt),
      watchdog: (seconds) => this.#store.schedule(WATCHDOG, Date.now() + timing.watchdogMs(seconds)),
      admitCheck: async (calls, at) => {
        const budget = services.railwayBudget();
        return budget ? budget.admitCheck(calls, at) : { granted: true };
      },
      publicUrl: services.publicUrl,
    });
  }

  /**
   * One monitoring check of this environment (the cron fan-out, the watchdog, or a test's injected
   * clock via `at`); `drift` compares provider state with the spec now instead of at its slow cadence.
   */
  async monitorTick(envId: string, options: { at?: number; drift?: boolean } = {}): Promise<RpcResult<MonitorReport>> {
    this.#audit.bind(envId);
    return this.#rpc(async () => {
      try {
        await this.#expireStalePlans(envId);
        return await this.#monitor.tick(envId, options.at ?? Date.now(), { drift: options.drift });
      } finally {
        await this.#arm();
      }
    });
  }

  /**
   * Twilio could not deliver a text this environment sent (its status callback said so): an incident's
   * alert escalates at once, a run's alert goes to the next destination; either way it is recorded.
   */
  async textUndelivered(sid: string): Promise<RpcResult<{ escalated: boolean }>> {
    return this.#rpc(async () => {
      const { db } = this.#services;
      const text = await textBySid(db, sid);
      if (!text) throw new AppError("not_found", `no text ${sid} was sent from here`);
      this.#audit.bind(text.envId);
      const failed = { level: text.level, to: maskPhone(text.toPhone), status: text.status, errorCode: text.errorCode };
      if (text.incidentId)
        return { escalated: await this.#monitor.alertUndelivered(text.incidentId, failed, Date.now()) };
      if (!text.runId) return { escalated: false };
      const forwarded = await forwardRunAlert(this.#forwardDeps, { ...text, runId: text.runId });
      return { escalated: forwarded.escalatedTo !== null };
    });
  }

  /** Whether monitoring is held back by Railway's request budget (status, GET /api/envs/:id). */
  async monitoringStatus(): Promise<{ lastCheckAt: string | null; throttled: MonitorThrottle | null }> {
    const last = this.#monitorStore.lastCheckAt();
    return { lastCheckAt: last ? new Date(last).toISOString() : null, throttled: this.#monitor.throttle() };
  }

  /** Acknowledges an incident of this environment ("ACK <code>"): its escalation stops. */
  async ackIncident(incidentId: string, actor: Actor): Promise<RpcResult<{ id: string }>> {
    return this.#rpc(async () => ({ id: (await this.#monitor.ack(incidentId, actor, Date.now())).id }));
  }

  /** Resolves an open incident of this environment on someone's say-so (drift adopted, fixed by hand). */
  async resolveIncident(incidentId: string, note: string, actor: Actor): Promise<RpcResult<{ id: string }>> {
    return this.#rpc(async () => ({ id: (await this.#monitor.resolve(incidentId, note, actor, Date.now())).id }));
  }

  /** Accepts an applied plan into the queue. */
  async enqueue(plan: Plan, requester: Actor): Promise<RpcResult<RunSummary>> {
    this.#audit.bind(plan.envId);
    // Armed whatever happens: a run accepted before a later effect failed still has its tick coming.
    return this.#rpc(async () => summary(await this.#engine.enqueue(plan, requester))).finally(() => this.#arm());
  }

  /** A person's decision on a run: approve, reject (with a reason), cancel, stop, resume or promote. */
  async act(runId: string, action: RunAction, actor: Actor, reason?: string): Promise<RpcResult<RunSummary>> {
    return this.#rpc(async () =>
      summary(
        action === "reject"
          ? await this.#engine.reject(runId, actor, reason)
          : await this.#engine[action](runId, actor),
      ),
    ).finally(() => this.#arm());
  }

  /** The live state of a run (source of truth; D1 has the projection). */
  async inspect(runId: string): Promise<RpcResult<{ run: RunRecord; steps: StepRecord[] }>> {
    return this.#rpc(async () => this.#engine.view(runId));
  }

  /**
   * One verified edge router report (src/http/edge.ts checked its signature and shape): stored, deduplicated
   * and folded into the judge in one transaction, so the answer the router gets means "counted". When it
   * carried the evidence over 1/α, traffic moves to 0% before the answer.
   */
  async ingestRouterReport(report: RouterReport): Promise<IngestOutcome> {
    const outcome = this.#judges.ingest(report, Date.now());
    if (outcome.kind === "counted" && outcome.moveToZero) {
      await this.#engine
        .moveCanaryToZero(outcome.runId)
        .catch((e: unknown) => console.error("moving the canary to 0% failed; the step retries", errorText(e)));
    }
    return outcome;
  }

  /** Appends events that belong to no run (secrets set, users created) to this object's chain. */
  async appendAudit(chain: string, inputs: AuditInput[]): Promise<AuditEvent[]> {
    this.#audit.bind(chain);
    return this.#audit.append(inputs);
  }

  /** This object's audit chain anchors: its checkpoint, any breach record, its last R2 digest. */
  async auditAnchors(): Promise<AnchorState> {
    return this.#anchor.state();
  }

  /** Opens a watcher socket (the Worker authenticated the caller): a snapshot, then every transition. */
  async fetch(request: Request): Promise<Response> {
    const watch = readWatchRequest(request);
    if (watch instanceof Response) return watch;
    const runs = this.#store.recentRuns(SNAPSHOT_RUNS).map((r) => liveRun(r, this.#store.steps(r.id)));
    const snapshot: LiveMessage = { type: "snapshot", env: watch.env, at: new Date().toISOString(), runs };
    return this.#live.accept(redactDeep(snapshot, await this.#services.redactor(watch.envId)), watch.tokenId);
  }

  /**
   * Cancels the environment's plans nobody applied before `cutoff` ("plan expired"), each with its audit
   * event, in one batch. A plan this object has already accepted is skipped: it was applied after all.
   */
  async expirePlans(envId: string, cutoff: string): Promise<string[]> {
    const stale = (await stalePlannedRuns(this.#services.db, envId, cutoff, 50)).filter(
      (r) => !this.#store.getRun(r.id),
    );
    if (!stale.length) return [];
    const now = new Date(this.#services.now()).toISOString();
    this.#audit.bind(envId);
    await this.#audit.append(
      stale.map((r) => ({
        actor: "infra-chat",
        action: "run.cancelled",
        runId: r.id,
        planId: r.planId,
        diffSummary: "plan expired",
        details: { reason: "plan expired", plannedAt: r.createdAt },
      })),
      stale.map((r) => expirePlanStatement(this.#services.db, r.id, now)),
    );
    return stale.map((r) => r.id);
  }

  /** Deployment logs of a run's steps (build, pre-deploy, runtime), redacted (runs/step-logs.ts). */
  async stepLogs(runId: string): Promise<RpcResult<StepLogs[]>> {
    return this.#rpc(async () => {
      const { run, steps } = this.#engine.view(runId);
      return this.#logs.read(run, steps);
    });
  }

  /** Closes the watcher sockets opened with these (revoked) tokens; returns how many were open. */
  async closeWatchers(tokenIds: string[]): Promise<number> {
    return this.#live.closeFor(tokenIds);
  }

  /** Watchers only listen; their pings are answered by the auto-response without waking the object. */
  async webSocketMessage(): Promise<void> {}

  async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code, reason);
    } catch {
      // Already closed by the runtime's automatic close reply.
    }
  }

  async alarm(): Promise<void> {
    const due = this.#store.takeDue(Date.now());
    try {
      if (due.includes("tick")) await this.#engine.tick();
    } catch (e) {
      console.error("environment tick failed; retrying", errorText(e));
      this.#store.schedule("tick", Date.now() + 2000);
    }
    if (due.includes(APPROVAL_EXPIRY))
      await this.#engine.expireApprovals().catch((e: unknown) => console.error("approval expiry failed", errorText(e)));
    if (due.includes(AUDIT_DIGEST)) {
      this.#digestAt = 0;
      await this.#anchor.sealDigest().catch((e: unknown) => console.error("audit digest failed", errorText(e)));
    }
    const monitored = this.#monitor.envId();
    if (due.includes(WATCHDOG) && monitored) {
      // The watchdog: a check even when the cron tick does not come (npm start, a missed trigger).
      this.#audit.bind(monitored);
      await this.#expireStalePlans(monitored);
      await this.#monitor
        .tick(monitored, Date.now())
        .catch((e: unknown) => console.error("monitor check failed", errorText(e)));
    }
    await this.#arm();
  }

  /** After every committed append: the head is checkpointed here, and an hourly digest is due in R2. */
  async #anchorAppend(events: AuditEvent[]): Promise<void> {
    await this.#anchor.committed(events);
    if (this.#digestAt > Date.now()) return;
    this.#digestAt = nextDigestAt(Date.now());
    this.#store.schedule(AUDIT_DIGEST, this.#digestAt);
    await this.#arm();
  }

  /** A run transition: its D1 projection, receipts and audit events in one batch, then its watchers. */
  async #commit(change: Commit): Promise<void> {
    const run = this.#store.getRun(change.run.id) ?? change.run;
    const steps = change.steps.length
      ? this.#store.steps(run.id).filter((s) => change.steps.some((c) => c.id === s.id))
      : [];
    this.#audit.bind(run.plan.envId);
    const projection = projectionStatements(this.#services.db, run, steps, change.receipts ?? []);
    await this.#audit.append(change.audit ?? [], projection);
    await this.#publish(run.id);
    if (isTerminal(run.status) && change.audit?.some((a) => a.action === `run.${run.status}`))
      await this.#runEnded(run);
  }

  /** Incidents follow runs: a rollback or failed production deploy opens one, a good deploy resolves them. */
  async #runEnded(run: RunRecord): Promise<void> {
    const ended = {
      id: run.id,
      type: run.type,
      status: run.status,
      env: run.plan.env,
      envId: run.plan.envId,
      error: run.error,
      canaryRolledBack: run.outputs.canary?.phase === "rolled-back",
    };
    await this.#monitor
      .runEnded(ended, () => runEvidence(this.#services.runArtifacts, run.id), this.#services.now())
      .catch((e: unknown) => console.error("run incident not recorded", errorText(e)));
  }

  /** Every committed transition reaches the environment's watchers, redacted. */
  async #publish(runId: string): Promise<void> {
    const run = this.#live.watched ? this.#store.getRun(runId) : null;
    if (!run) return;
    try {
      const message: LiveMessage = {
        type: "run",
        at: new Date().toISOString(),
        run: liveRun(run, this.#store.steps(run.id)),
      };
      this.#live.broadcast(redactDeep(message, await this.#services.redactor(run.plan.envId)));
    } catch (e) {
      console.error("live broadcast failed", errorText(e));
    }
  }

  /** Plans expire on the monitor's beat (cron or watchdog); a failure only delays them. */
  async #expireStalePlans(envId: string): Promise<void> {
    const cutoff = new Date(this.#services.now() - this.#services.planTtlMs).toISOString();
    await this.expirePlans(envId, cutoff).catch((e: unknown) => console.error("plan expiry failed", errorText(e)));
  }

  async #arm(): Promise<void> {
    const next = this.#store.nextDue();
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  async #rpc<T>(work: () => Promise<T>): Promise<RpcResult<T>> {
    try {
      return { ok: true, value: await work() };
    } catch (e) {
      if (e instanceof AppError) return { ok: false, code: e.code, message: e.message, details: e.details };
      throw e;
    }
  }
}

/** transactionSync that a transaction already under way joins instead of nesting. */
function reentrantTransaction(storage: DurableObjectStorage) {
  let depth = 0;
  return <T>(work: () => T): T => {
    if (depth > 0) return work();
    depth++;
    try {
      return storage.transactionSync(work);
    } finally {
      depth--;
    }
  };
}

function summary(run: RunRecord): RunSummary {
  return { id: run.id, status: run.status, approvals: run.approvals };
}

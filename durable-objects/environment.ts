import { DurableObject } from "cloudflare:workers";
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
import { projectionStatements } from "../src/db/runs";
import { AppError, errorText } from "../src/domain/errors";
import type { RpcResult } from "../src/domain/errors";
import { newId } from "../src/domain/ids";
import type { Plan } from "../src/domain/run";
import { MonitorEngine } from "../src/monitor/engine";
import { createMonitoredRuns } from "../src/monitor/runs";
import { createSignalSource } from "../src/monitor/signals";
import { MonitorStore } from "../src/monitor/store";
import type { MonitorReport } from "../src/monitor/types";
import { createRunNotifier } from "../src/notify/notifier";
import { createAlertSender } from "../src/notify/texts";
import { planDigest } from "../src/plan/digest";
import type { Actor } from "../src/policy/approval";
import type { Receipt } from "../src/providers/types";
import type { RouterReport } from "../src/edge-router/protocol";
import { type IngestOutcome, JudgeStore } from "../src/runs/canary/judge-store";
import type { Commit } from "../src/runs/engine";
import { RunEngine } from "../src/runs/engine";
import { LiveChannel, SNAPSHOT_RUNS, liveRun, readWatchRequest } from "../src/runs/live";
import type { LiveMessage } from "../src/runs/live";
import type { RunRecord, StepRecord } from "../src/runs/store";
import { RunStore } from "../src/runs/store";
import { redactDeep } from "../src/security/redact";
import { appServices, canaryTiming, monitorWatchdogMs, pollInterval } from "../src/wiring";

/** The schedule key of the monitor's watchdog (the run engine's is "tick"). */
const WATCHDOG = "monitor";

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
  #audit: ChainWriter<Statement>;
  #live: LiveChannel;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const services = appServices(env);
    this.#services = services;
    this.#store = new RunStore(ctx.storage.sql);
    this.#judges = new JudgeStore(ctx.storage.sql, reentrantTransaction(ctx.storage));
    const monitorStore = new MonitorStore(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      this.#store.migrate();
      this.#judges.migrate();
      monitorStore.migrate();
    });
    this.#live = new LiveChannel(ctx);
    // Watchers keep their sockets alive with "ping" without waking the object from hibernation.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    this.#audit = new ChainWriter(
      d1ChainStore(services.db),
      sealWith(() => newId("evt"), services.now),
    );
    const port = createControlPlanePort(services.db, services.cipher, services.now);
    const providers = async (onReceipt: (r: Receipt) => void, envId = this.#audit.chain) =>
      services.providers({ onReceipt, redact: await services.redactor(envId) });
    this.#engine = new RunEngine({
      store: this.#store,
      judges: this.#judges,
      port,
      artifacts: services.runArtifacts,
      providers: (onReceipt) => providers(onReceipt),
      commit: (change) => this.#commit(change),
      arm: () => this.#arm(),
      planDigest,
      notify: createRunNotifier({
        sms: async (envId, onReceipt) => (await providers(onReceipt, envId)).sms,
        port,
        publicUrl: services.publicUrl,
        approvalCode: services.approvalCode,
        subscribers: (envId) => subscriberPhones(services.db, envId),
        adminPhones: () => adminPhones(services.db),
        commit: (change) => this.#commit(change),
      }),
      now: services.now,
      pollMs: pollInterval(env),
      timing: canaryTiming(env),
    });
    const domains = new Map<string, string | null>();
    this.#monitor = new MonitorEngine({
      store: monitorStore,
      desired: createDesiredStateReader(services.db),
      incidents: createIncidentStore(services.db, this.#audit),
      runs: createMonitoredRuns(this.#store, this.#engine),
      planner: remediationPlanner(services),
      bundles: services.incidentBundles,
      signals: async (onReceipt) => createSignalSource(await providers(onReceipt), domains),
      alerts: async (onReceipt) => createAlertSender((await providers(onReceipt)).sms),
      watchdog: (seconds) => this.#store.schedule(WATCHDOG, Date.now() + monitorWatchdogMs(env, seconds)),
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
        return await this.#monitor.tick(envId, options.at ?? Date.now(), { drift: options.drift });
      } finally {
        await this.#arm();
      }
    });
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
    return this.#rpc(async () => summary(await this.#engine.enqueue(plan, requester)));
  }

  /** A person's decision on a run: approve, reject (with a reason), cancel, stop, resume or promote. */
  async act(runId: string, action: RunAction, actor: Actor, reason?: string): Promise<RpcResult<RunSummary>> {
    return this.#rpc(async () =>
      summary(
        action === "reject"
          ? await this.#engine.reject(runId, actor, reason)
          : await this.#engine[action](runId, actor),
      ),
    );
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

  /** Opens a watcher socket (the Worker authenticated the caller): a snapshot, then every transition. */
  async fetch(request: Request): Promise<Response> {
    const watch = readWatchRequest(request);
    if (watch instanceof Response) return watch;
    const runs = this.#store.recentRuns(SNAPSHOT_RUNS).map((r) => liveRun(r, this.#store.steps(r.id)));
    const snapshot: LiveMessage = { type: "snapshot", env: watch.env, at: new Date().toISOString(), runs };
    return this.#live.accept(redactDeep(snapshot, await this.#services.redactor(watch.envId)));
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
    const monitored = this.#monitor.envId();
    if (due.includes(WATCHDOG) && monitored) {
      // The watchdog: a check even when the cron tick does not come (npm start, a missed trigger).
      this.#audit.bind(monitored);
      await this.#monitor
        .tick(monitored, Date.now())
        .catch((e: unknown) => console.error("monitor check failed", errorText(e)));
    }
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

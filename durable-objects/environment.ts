import { DurableObject } from "cloudflare:workers";
import type { AuditEvent, AuditInput } from "../src/audit/chain";
import { ChainWriter, sealWith } from "../src/audit/chain-writer";
import type { Statement } from "../src/db/client";
import { d1ChainStore } from "../src/db/audit";
import { createControlPlanePort } from "../src/db/port";
import { projectionStatements } from "../src/db/runs";
import { AppError } from "../src/domain/errors";
import type { RpcResult } from "../src/domain/errors";
import { newId } from "../src/domain/ids";
import type { Plan } from "../src/domain/run";
import { planDigest } from "../src/plan/digest";
import type { Actor } from "../src/policy/approval";
import type { Commit } from "../src/runs/engine";
import { RunEngine } from "../src/runs/engine";
import type { RunRecord, StepRecord } from "../src/runs/store";
import { RunStore } from "../src/runs/store";
import { LiveChannel, SNAPSHOT_RUNS, liveRun, readWatchRequest } from "../src/runs/live";
import type { LiveMessage } from "../src/runs/live";
import { redactDeep } from "../src/security/redact";
import { appServices, canaryTiming, monitorWatchdogMs, pollInterval } from "../src/wiring";
import { createRunNotifier } from "../src/notify/notifier";
import type { RunSummary, Services } from "../src/control/services";
import { adminPhones, subscriberPhones } from "../src/db/alerts";
import type { Receipt } from "../src/providers/types";
import { EnvironmentMonitor, MONITOR_KEY } from "../src/control/monitoring";
import type { MonitorReport } from "../src/control/monitoring";
import { getIncident } from "../src/db/incidents";

/**
 * One per environment (named by environment id; "global" for events with no environment). Serializes
 * the environment's runs, owns their live state, drives them with its alarm, and is the only writer of
 * the environment's audit chain.
 */
export class EnvironmentDO extends DurableObject<Env> {
  #services: Services;
  #store: RunStore;
  #engine: RunEngine;
  #audit: ChainWriter<Statement>;
  #live: LiveChannel;
  #monitor: EnvironmentMonitor;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const services = appServices(env);
    this.#services = services;
    this.#store = new RunStore(ctx.storage.sql);
    this.#live = new LiveChannel(ctx);
    // Watchers keep their sockets alive with "ping" without waking the object from hibernation.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    this.#audit = new ChainWriter(
      d1ChainStore(services.db),
      sealWith(() => newId("evt"), services.now),
    );
    void ctx.blockConcurrencyWhile(async () => this.#store.migrate());
    const port = createControlPlanePort(services.db, services.cipher, services.now);
    const providers = async (onReceipt: (r: Receipt) => void, envId?: string) =>
      services.providers({ onReceipt, redact: await services.redactor(envId) });
    this.#engine = new RunEngine({
      store: this.#store,
      port,
      artifacts: services.runArtifacts,
      providers: (onReceipt) => providers(onReceipt, this.#audit.chain),
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
    this.#monitor = new EnvironmentMonitor({
      services,
      db: services.db,
      watchdogMs: (intervalSeconds) => monitorWatchdogMs(env, intervalSeconds),
      sql: ctx.storage.sql,
      store: this.#store,
      engine: this.#engine,
      providers: async () => providers(() => undefined, this.#monitor.envId() ?? undefined),
      record: (envId, statements, audit) => this.#record(envId, statements, audit),
    });
    void ctx.blockConcurrencyWhile(async () => this.#monitor.migrate());
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
    return this.#rpc(async () => {
      const incident = await getIncident(this.#services.db, incidentId);
      if (!incident) throw new AppError("not_found", `incident ${incidentId} not found`);
      this.#audit.bind(incident.envId);
      await this.#monitor.ack(incident.envId, incident, actor, Date.now());
      return { id: incident.id };
    });
  }

  /** Resolves an open incident of this environment on someone's say-so (drift adopted, fixed by hand). */
  async resolveIncident(
    incidentId: string,
    env: string,
    note: string,
    actor: Actor,
  ): Promise<RpcResult<{ id: string }>> {
    return this.#rpc(async () => {
      const incident = await getIncident(this.#services.db, incidentId);
      if (!incident) throw new AppError("not_found", `incident ${incidentId} not found`);
      if (incident.status !== "open")
        throw new AppError("conflict", `incident ${incidentId} is already ${incident.status}`);
      this.#audit.bind(incident.envId);
      await this.#monitor.resolveBy(env, incident.envId, incident, note, actor.id, Date.now());
      return { id: incident.id };
    });
  }

  /** Accepts an applied plan into the queue. */
  async enqueue(plan: Plan, requester: Actor): Promise<RpcResult<RunSummary>> {
    this.#audit.bind(plan.envId);
    return this.#rpc(async () => summary(await this.#engine.enqueue(plan, requester)));
  }

  async approve(runId: string, actor: Actor): Promise<RpcResult<RunSummary>> {
    return this.#rpc(async () => summary(await this.#engine.approve(runId, actor)));
  }

  async reject(runId: string, actor: Actor, reason?: string): Promise<RpcResult<RunSummary>> {
    return this.#rpc(async () => summary(await this.#engine.reject(runId, actor, reason)));
  }

  async cancel(runId: string, actor: Actor): Promise<RpcResult<RunSummary>> {
    return this.#rpc(async () => summary(await this.#engine.cancel(runId, actor)));
  }

  async stop(runId: string, actor: Actor): Promise<RpcResult<RunSummary>> {
    return this.#rpc(async () => summary(await this.#engine.stop(runId, actor)));
  }

  async promote(runId: string, actor: Actor): Promise<RpcResult<RunSummary>> {
    return this.#rpc(async () => summary(await this.#engine.promote(runId, actor)));
  }

  async resume(runId: string, actor: Actor): Promise<RpcResult<RunSummary>> {
    return this.#rpc(async () => summary(await this.#engine.resume(runId, actor)));
  }

  /** The live state of a run (source of truth; D1 has the projection). */
  async inspect(runId: string): Promise<RpcResult<{ run: RunRecord; steps: StepRecord[] }>> {
    return this.#rpc(async () => this.#engine.view(runId));
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
      console.error("environment tick failed; retrying", e instanceof Error ? e.message : e);
      this.#store.schedule("tick", Date.now() + 2000);
    }
    const monitored = this.#monitor.envId();
    if (due.includes(MONITOR_KEY) && monitored) {
      // The watchdog: a check even when the cron tick does not come (npm start, a missed trigger).
      this.#audit.bind(monitored);
      await this.#monitor
        .tick(monitored, Date.now())
        .catch((e: unknown) => console.error("monitor check failed", e instanceof Error ? e.message : e));
    }
    await this.#arm();
  }

  /** Monitoring writes (incident rows) and their audit events, sealed and committed in one batch. */
  async #record(envId: string, statements: Statement[], audit: AuditInput[]): Promise<void> {
    this.#audit.bind(envId);
    await this.#audit.append(audit, statements);
  }

  async #commit(change: Commit): Promise<void> {
    const run = this.#store.getRun(change.run.id) ?? change.run;
    const steps = change.steps.length
      ? this.#store.steps(run.id).filter((s) => change.steps.some((c) => c.id === s.id))
      : [];
    this.#audit.bind(run.plan.envId);
    await this.#audit.append(
      change.audit ?? [],
      projectionStatements(this.#services.db, run, steps, change.receipts ?? []),
    );
    await this.#publish(run.id);
  }

  /** The broadcast hook: every committed transition reaches the environment's watchers, redacted. */
  async #publish(runId: string): Promise<void> {
    if (!this.#live.watched) return;
    const run = this.#store.getRun(runId);
    if (!run) return;
    try {
      const message: LiveMessage = {
        type: "run",
        at: new Date().toISOString(),
        run: liveRun(run, this.#store.steps(run.id)),
      };
      this.#live.broadcast(redactDeep(message, await this.#services.redactor(run.plan.envId)));
    } catch (e) {
      console.error("live broadcast failed", e instanceof Error ? e.message : e);
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

function summary(run: RunRecord): RunSummary {
  return { id: run.id, status: run.status, approvals: run.approvals };
}

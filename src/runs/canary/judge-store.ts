/**
 * The anytime-valid judge of each canary run, in the environment's Durable Object storage: its state, the
 * settings it judges with, the looks people see, and every report and second the edge router sent. Two
 * writers share it: the canary step (it opens the judge, seeds it, starts and ends steps, feeds the load
 * balancer's windows) and report ingestion (edge seconds, any time). Each change is one synchronous
 * transaction over fresh rows, so neither can overwrite the other, and a report is stored and counted
 * together or not at all: a DO evicted mid-soak loses nothing the router was told was stored.
 */
import { z } from "zod";
import { RouterKind } from "../../domain/traffic";
import { type SequentialJudgeConfig, SequentialJudgeConfigSchema } from "../../domain/sequential-judge";
import type { RouterReport } from "../../edge-router/protocol";
import { batchesFromSeconds } from "../../monitor/sequential/batches";
import { judgeBatch, type SequentialVerdict } from "../../monitor/sequential/judge";
import {
  beginStep,
  type CountBatch,
  extendStep,
  type RollbackRecord,
  type SequentialState,
  SequentialStateSchema,
  startSequentialJudge,
} from "../../monitor/sequential/state";
import type { SequentialOutputs } from "../outputs";
import { CanaryLook, lookOf, MAX_LOOKS, thinLooks } from "./looks";

const JudgeRecordSchema = z.object({
  runId: z.string(),
  /** `<project>:<env>/<service>`: the router's reports name it. */
  route: z.string(),
  router: RouterKind,
  /** Whether a rollback decision may move traffic at once (policies.autoRollback), or waits for a person. */
  autoRollback: z.boolean(),
  config: SequentialJudgeConfigSchema,
  state: SequentialStateSchema,
  /** Looks appended so far (they live in their own rows: a report appends, it never rewrites them). */
  lookCount: z.number().default(0),
  /** The step being soaked: only the router's seconds under its salt are this step's data. */
  salt: z.string().nullable(),
  /** Every step's salt so far: a late second of an earlier step is still evidence (not that step's sample). */
  salts: z.array(z.string()).default([]),
  /** The router's first and latest second (unix s) of this step, and the latest second of any report. */
  stepFirstSecond: z.number().nullable(),
  stepLastSecond: z.number().nullable(),
  routerSecond: z.number().nullable(),
  /** When the last report arrived (ms, the control plane's clock). */
  lastReportAt: z.number().nullable(),
  /** When report ingestion moved the canary to 0% on a rollback decision. */
  zeroPushedAt: z.number().nullable(),
  /** Stable-only requests the judge was seeded with before the first step. */
  leadIn: z.object({ requests: z.number(), errors: z.number() }).nullable(),
  counted: z.object({ reports: z.number(), seconds: z.number(), requests: z.number() }),
});
export type JudgeRecord = z.infer<typeof JudgeRecordSchema>;

/** What became of one router report. */
export type IngestOutcome =
  | { kind: "duplicate" }
  | { kind: "ignored"; reason: string }
  | { kind: "counted"; runId: string; seconds: number; rollback: RollbackRecord | null; moveToZero: boolean };

/** Reports and seconds of runs closed longer ago than this are deleted (dedupe needs them only while retries come). */
const KEEP_CLOSED_MS = 7 * 86_400_000;

type Transact = <T>(work: () => T) => T;

export class JudgeStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly transact: Transact,
  ) {}

  /** Creates the tables; called once from the DO constructor under blockConcurrencyWhile. */
  migrate(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS canary_judges (
        run_id TEXT PRIMARY KEY, route TEXT NOT NULL, closed_at INTEGER, body TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS canary_judges_route ON canary_judges (route, closed_at);
      CREATE TABLE IF NOT EXISTS router_reports (
        isolate TEXT NOT NULL, seq INTEGER NOT NULL, run_id TEXT, received_at INTEGER NOT NULL,
        PRIMARY KEY (isolate, seq));
      CREATE TABLE IF NOT EXISTS router_seconds (
        run_id TEXT NOT NULL, at INTEGER NOT NULL, track TEXT NOT NULL, salt TEXT NOT NULL, revision INTEGER NOT NULL,
        requests INTEGER NOT NULL, errors INTEGER NOT NULL, latency TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS router_seconds_run ON router_seconds (run_id, at);
      CREATE TABLE IF NOT EXISTS router_clocks (route TEXT PRIMARY KEY, second INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS canary_looks (
        run_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (run_id, seq));
    `);
  }

  /** The judge as run outputs show it (the live chart, chat, metrics.json). */
  outputs(runId: string): SequentialOutputs | null {
    const record = this.get(runId);
    if (!record) return null;
    return {
      router: record.router,
      config: record.config,
      state: record.state,
      looks: this.looks(runId),
      lookCount: record.lookCount,
      leadIn: record.leadIn,
      counted: record.counted,
      stepSeconds: { first: record.stepFirstSecond, last: record.stepLastSecond },
      zeroPushedAt: record.zeroPushedAt,
    };
  }

  /** Requests the router reported per track under a salt over [fromSecond, toSecond). */
  requestsBetween(
    runId: string,
    salt: string,
    fromSecond: number,
    toSecond: number,
  ): { canary: number; stable: number } {
    const rows = this.sql
      .exec(
        "SELECT track, SUM(requests) AS n FROM router_seconds WHERE run_id = ? AND salt = ? AND at >= ? AND at < ? GROUP BY track",
        runId,
        salt,
        fromSecond,
        toSecond,
      )
      .toArray();
    const of = (track: string) => Number(rows.find((r) => r.track === track)?.n ?? 0);
    return { canary: of("canary"), stable: of("stable") };
  }

  /** The run's looks, oldest first, thinned to at most MAX_LOOKS (decisions and step starts kept). */
  looks(runId: string): CanaryLook[] {
    const rows = this.sql.exec("SELECT body FROM canary_looks WHERE run_id = ? ORDER BY seq", runId).toArray();
    return thinLooks(rows.map((r) => CanaryLook.parse(JSON.parse(String(r.body)))));
  }

  #appendLooks(runId: string, from: number, looks: CanaryLook[]): void {
    for (const [i, look] of looks.entries())
      this.sql.exec(
        "INSERT INTO canary_looks (run_id, seq, body) VALUES (?, ?, ?)",
        runId,
        from + i,
        JSON.stringify(look),
      );
    // Stored looks stay within twice what is shown: every other older one goes once there are more.
    const count = Number(this.sql.exec("SELECT COUNT(*) AS n FROM canary_looks WHERE run_id = ?", runId).one().n);
    if (count <= 2 * MAX_LOOKS) return;
    const rows = this.sql
      .exec("SELECT seq, body FROM canary_looks WHERE run_id = ? ORDER BY seq", runId)
      .toArray()
      .map((r) => ({ seq: Number(r.seq), look: CanaryLook.parse(JSON.parse(String(r.body))) }));
    const kept = new Set(
      thinLooks(
        rows.map((r) => r.look),
        MAX_LOOKS,
      ),
    );
    for (const r of rows)
      if (!kept.has(r.look)) this.sql.exec("DELETE FROM canary_looks WHERE run_id = ? AND seq = ?", runId, r.seq);
  }

  /**
   * The latest second a route's router has reported, over every run: its own clock. In real life that is the
   * wall clock; the sandbox's router runs ahead of it in simulated time, and a deadline must be on its clock.
   */
  routerClock(route: string): number | null {
    const row = this.sql.exec("SELECT second FROM router_clocks WHERE route = ?", route).toArray()[0];
    return row ? Number(row.second) : null;
  }

  get(runId: string): JudgeRecord | null {
    const row = this.sql.exec("SELECT body FROM canary_judges WHERE run_id = ?", runId).toArray()[0];
    return row ? JudgeRecordSchema.parse(JSON.parse(String(row.body))) : null;
  }

  /** The judge of a run, created on first use (idempotent: a step that runs again finds it). */
  open(
    runId: string,
    init: { route: string; router: RouterKind; autoRollback: boolean; config: SequentialJudgeConfig; at: number },
  ): JudgeRecord {
    return this.transact(() => {
      const found = this.get(runId);
      if (found) return found;
      const record: JudgeRecord = {
        runId,
        route: init.route,
        router: init.router,
        autoRollback: init.autoRollback,
        config: init.config,
        state: startSequentialJudge(init.config, init.at),
        lookCount: 0,
        salt: null,
        salts: [],
        stepFirstSecond: null,
        stepLastSecond: null,
        routerSecond: null,
        lastReportAt: null,
        zeroPushedAt: null,
        leadIn: null,
        counted: { reports: 0, seconds: 0, requests: 0 },
      };
      this.sql.exec(
        "INSERT INTO canary_judges (run_id, route, closed_at, body) VALUES (?, ?, NULL, ?)",
        runId,
        init.route,
        JSON.stringify(record),
      );
      return record;
    });
  }

  /** The stable's recent past before the first step: the judge needs a baseline before any canary data. */
  seedLeadIn(runId: string, baseline: CountBatch["baseline"], at: number): JudgeRecord {
    return this.#change(runId, (r) => {
      if (r.leadIn) return r;
      const batch: CountBatch = { canary: { requests: 0, errors: 0 }, baseline };
      const { state } = judgeBatch(r.state, batch, r.config, at);
      return { ...r, state, leadIn: { requests: baseline.requests, errors: baseline.errors } };
    });
  }

  /** One look at a batch the control plane sampled itself (a load balancer's check window). */
  observe(runId: string, batch: CountBatch, at: number): { record: JudgeRecord; verdict: SequentialVerdict } {
    let verdict: SequentialVerdict | undefined;
    const record = this.#change(runId, (r) => {
      const judged = judgeBatch(r.state, batch, r.config, at);
      verdict = judged.verdict;
      this.#appendLooks(runId, r.lookCount, [lookOf(judged.verdict, at, judged.state.step)]);
      return { ...r, state: judged.state, lookCount: r.lookCount + 1 };
    });
    if (!verdict) throw new Error("no verdict");
    return { record, verdict };
  }

  /** A weight step begins: its sample counts (and, on the edge router, its salt and seconds) start afresh. */
  beginStep(
    runId: string,
    step: { index: number; weight: number; at: number; salt: string; autoRollback: boolean },
  ): JudgeRecord {
    return this.#change(runId, (r) =>
      r.salt === step.salt
        ? r
        : {
            ...r,
            autoRollback: step.autoRollback,
            state: beginStep(r.state, step),
            salt: step.salt,
            salts: [...r.salts, step.salt],
            stepFirstSecond: null,
            stepLastSecond: null,
          },
    );
  }

  /** The step soaks once more for lack of samples. */
  extend(runId: string): JudgeRecord {
    return this.#change(runId, (r) => ({ ...r, state: extendStep(r.state) }));
  }

  /**
   * A person overrode a rollback decision (resumed the canary): the evidence starts again from here, so a
   * regression that shows up later still rolls back. Only the latency reference (fixed before any of the new
   * data) and the step's counts carry over; reusing old baseline counts would not be a valid e-process.
   */
  restart(runId: string, at: number): JudgeRecord {
    return this.#change(runId, (r) => {
      const fresh = startSequentialJudge(r.config, at);
      const latency = { ...fresh.latency, reference: r.state.latency.reference, baseline: r.state.latency.baseline };
      const state: SequentialState = { ...fresh, latency, looks: r.state.looks, step: r.state.step };
      return { ...r, state };
    });
  }

  /** The run ended: later reports are answered but not counted, and old runs' rows are dropped. */
  close(runId: string, at: number): void {
    this.transact(() => {
      this.sql.exec("UPDATE canary_judges SET closed_at = ? WHERE run_id = ? AND closed_at IS NULL", at, runId);
      const old = this.sql
        .exec("SELECT run_id FROM canary_judges WHERE closed_at < ?", at - KEEP_CLOSED_MS)
        .toArray()
        .map((row) => String(row.run_id));
      for (const id of old) {
        this.sql.exec("DELETE FROM router_seconds WHERE run_id = ?", id);
        this.sql.exec("DELETE FROM router_reports WHERE run_id = ?", id);
        this.sql.exec("DELETE FROM canary_looks WHERE run_id = ?", id);
      }
    });
  }

  markZeroPushed(runId: string, at: number): void {
    this.#change(runId, (r) => ({ ...r, zeroPushedAt: r.zeroPushedAt ?? at }));
  }

  /**
   * One router report, in one transaction: a repeat of a stored (isolate, seq) changes nothing; otherwise the
   * report is recorded, its seconds appended, and those of the step being soaked folded into the judge, one
   * look per second. `moveToZero` is set once, on the report whose evidence first crossed 1/α where policy
   * lets the judge act by itself.
   */
  ingest(report: RouterReport, receivedAt: number): IngestOutcome {
    return this.transact(() => {
      const seen = this.sql
        .exec("SELECT 1 AS x FROM router_reports WHERE isolate = ? AND seq = ?", report.isolate, report.seq)
        .toArray();
      if (seen.length > 0) return { kind: "duplicate" } as const;
      const latest = Math.max(...report.seconds.map((x) => x.at));
      if (Number.isFinite(latest))
        this.sql.exec(
          "INSERT INTO router_clocks (route, second) VALUES (?, ?) ON CONFLICT (route) DO UPDATE SET second = MAX(second, excluded.second)",
          report.route,
          latest,
        );
      const row = this.sql
        .exec(
          "SELECT run_id FROM canary_judges WHERE route = ? AND closed_at IS NULL ORDER BY rowid DESC LIMIT 1",
          report.route,
        )
        .toArray()[0];
      const runId = row ? String(row.run_id) : null;
      this.sql.exec(
        "INSERT INTO router_reports (isolate, seq, run_id, received_at) VALUES (?, ?, ?, ?)",
        report.isolate,
        report.seq,
        runId,
        receivedAt,
      );
      if (runId === null) return { kind: "ignored", reason: `no canary of ${report.route} is being judged` } as const;
      for (const s of report.seconds)
        this.sql.exec(
          "INSERT INTO router_seconds (run_id, at, track, salt, revision, requests, errors, latency) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          runId,
          s.at,
          s.track,
          s.salt,
          s.revision,
          s.requests,
          s.status["5xx"],
          JSON.stringify(s.latency),
        );
      const before = this.get(runId);
      if (!before) throw new Error(`judge of ${runId} vanished`);
      const after = this.#fold(before, report, receivedAt);
      this.#write(after);
      const crossed = before.state.rollback === null && after.state.rollback !== null;
      return {
        kind: "counted",
        runId,
        seconds: report.seconds.length,
        rollback: after.state.rollback,
        moveToZero: crossed && after.autoRollback,
      } as const;
    });
  }

  #fold(record: JudgeRecord, report: RouterReport, receivedAt: number): JudgeRecord {
    let { state, stepFirstSecond, stepLastSecond, routerSecond } = record;
    const looks: CanaryLook[] = [];
    for (const s of report.seconds) routerSecond = Math.max(routerSecond ?? s.at, s.at);
    for (const salt of record.salts) {
      const current = salt === record.salt;
      for (const { at, batch } of batchesFromSeconds(report.seconds, salt)) {
        const judged = judgeBatch(state, batch, record.config, at * 1000);
        // A second of an earlier step counts as evidence, not toward this step's minimum sample.
        state = current ? judged.state : { ...judged.state, step: state.step };
        looks.push(lookOf(judged.verdict, at * 1000, state.step));
        if (!current) continue;
        stepFirstSecond = Math.min(stepFirstSecond ?? at, at);
        stepLastSecond = Math.max(stepLastSecond ?? at, at);
      }
    }
    const requests = report.seconds.reduce((n, s) => n + s.requests, 0);
    this.#appendLooks(record.runId, record.lookCount, looks);
    return {
      ...record,
      state,
      lookCount: record.lookCount + looks.length,
      stepFirstSecond,
      stepLastSecond,
      routerSecond,
      lastReportAt: receivedAt,
      counted: {
        reports: record.counted.reports + 1,
        seconds: record.counted.seconds + report.seconds.length,
        requests: record.counted.requests + requests,
      },
    };
  }

  #change(runId: string, change: (r: JudgeRecord) => JudgeRecord): JudgeRecord {
    return this.transact(() => {
      const record = this.get(runId);
      if (!record) throw new Error(`run ${runId} has no canary judge`);
      const next = change(record);
      if (next !== record) this.#write(next);
      return next;
    });
  }

  #write(record: JudgeRecord): void {
    this.sql.exec("UPDATE canary_judges SET body = ? WHERE run_id = ?", JSON.stringify(record), record.runId);
  }
}

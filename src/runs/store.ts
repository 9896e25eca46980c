import { z } from "zod";
import { Approvals, Plan, RunStatus, RunType, StepStatus } from "../domain/run";
import { PlannedStep, type StepKind, type StepParams } from "../domain/steps";
import { RunOutputs } from "./outputs";
import { StepState } from "./step-state";

/** A run as the EnvironmentDO holds it (the source of truth; D1 gets a projection). */
export interface RunRecord {
  id: string;
  planId: string;
  seq: number;
  priority: number;
  type: RunType;
  status: RunStatus;
  requestedBy: string | null;
  plan: Plan;
  approvals: Approvals | null;
  error: string | null;
  /** Values steps hand to later steps (resolved refs, previous deployments, …). */
  outputs: RunOutputs;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

interface StepFields {
  runId: string;
  idx: number;
  status: StepStatus;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
  error: string | null;
  receiptIds: string[];
  /** Step-private progress persisted around every provider call (e.g. the deployment it started). */
  state: StepState;
}

/** A step of kind `K` as the EnvironmentDO holds it: its plan entry, and how it is going. */
export type StepRecordOf<K extends StepKind> = StepFields & {
  id: string;
  kind: K;
  summary: string;
  params: StepParams<K>;
};

/** A step of any kind (a union over `kind`). */
export type StepRecord = { [K in StepKind]: StepRecordOf<K> }[StepKind];

type Row = Record<string, SqlStorageValue>;

/** Run, step and schedule tables in the Durable Object's SQLite storage. */
export class RunStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Creates the tables; called once from the DO constructor under blockConcurrencyWhile. */
  migrate(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY, plan_id TEXT NOT NULL UNIQUE, seq INTEGER NOT NULL, priority INTEGER NOT NULL,
        type TEXT NOT NULL, status TEXT NOT NULL, requested_by TEXT, plan TEXT NOT NULL, approvals TEXT,
        error TEXT, outputs TEXT NOT NULL, created_at TEXT NOT NULL, started_at TEXT, ended_at TEXT);
      CREATE TABLE IF NOT EXISTS steps (
        run_id TEXT NOT NULL, idx INTEGER NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, summary TEXT NOT NULL,
        params TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, started_at TEXT, ended_at TEXT,
        error TEXT, receipt_ids TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (run_id, idx));
      CREATE TABLE IF NOT EXISTS schedule (key TEXT PRIMARY KEY, due_at INTEGER NOT NULL);
    `);
  }

  insertRun(run: Omit<RunRecord, "seq">, steps: StepRecord[]): RunRecord {
    const seq = Number(this.sql.exec("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM runs").one().n);
    this.sql.exec(
      `INSERT INTO runs (id, plan_id, seq, priority, type, status, requested_by, plan, approvals, error, outputs, created_at, started_at, ended_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      run.id,
      run.planId,
      seq,
      run.priority,
      run.type,
      run.status,
      run.requestedBy,
      JSON.stringify(run.plan),
      run.approvals ? JSON.stringify(run.approvals) : null,
      run.error,
      JSON.stringify(run.outputs),
      run.createdAt,
      run.startedAt,
      run.endedAt,
    );
    for (const s of steps) this.saveStep(s, true);
    return { ...run, seq };
  }

  saveRun(run: RunRecord): void {
    this.sql.exec(
      `UPDATE runs SET status = ?, approvals = ?, error = ?, outputs = ?, started_at = ?, ended_at = ? WHERE id = ?`,
      run.status,
      run.approvals ? JSON.stringify(run.approvals) : null,
      run.error,
      JSON.stringify(run.outputs),
      run.startedAt,
      run.endedAt,
      run.id,
    );
  }

  /** Writes only what a running step may change, so a concurrent status change (preemption) survives. */
  saveOutputs(run: RunRecord): void {
    this.sql.exec("UPDATE runs SET outputs = ? WHERE id = ?", JSON.stringify(run.outputs), run.id);
  }

  saveStep(s: StepRecord, insert = false): void {
    const values = [
      s.kind,
      s.summary,
      JSON.stringify(s.params),
      s.status,
      s.attempts,
      s.startedAt,
      s.endedAt,
      s.error,
      JSON.stringify(s.receiptIds),
      JSON.stringify(s.state),
    ];
    if (insert) {
      this.sql.exec(
        `INSERT INTO steps (run_id, idx, id, kind, summary, params, status, attempts, started_at, ended_at, error, receipt_ids, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        s.runId,
        s.idx,
        s.id,
        ...values,
      );
    } else {
      this.sql.exec(
        `UPDATE steps SET kind = ?, summary = ?, params = ?, status = ?, attempts = ?, started_at = ?, ended_at = ?, error = ?, receipt_ids = ?, state = ?
         WHERE run_id = ? AND idx = ?`,
        ...values,
        s.runId,
        s.idx,
      );
    }
  }

  getRun(id: string): RunRecord | null {
    const row = this.sql.exec("SELECT * FROM runs WHERE id = ?", id).toArray()[0];
    return row ? toRun(row) : null;
  }

  runByPlan(planId: string): RunRecord | null {
    const row = this.sql.exec("SELECT * FROM runs WHERE plan_id = ?", planId).toArray()[0];
    return row ? toRun(row) : null;
  }

  /** Runs in the given statuses, in queue order (priority first, then FIFO). */
  runsIn(statuses: RunStatus[]): RunRecord[] {
    const marks = statuses.map(() => "?").join(",");
    return this.sql
      .exec(`SELECT * FROM runs WHERE status IN (${marks}) ORDER BY priority DESC, seq ASC`, ...statuses)
      .toArray()
      .map(toRun);
  }

  /** The newest runs, newest first (what a live watcher sees on connect). */
  recentRuns(limit: number): RunRecord[] {
    return this.sql.exec("SELECT * FROM runs ORDER BY seq DESC LIMIT ?", limit).toArray().map(toRun);
  }

  steps(runId: string): StepRecord[] {
    return this.sql.exec("SELECT * FROM steps WHERE run_id = ? ORDER BY idx", runId).toArray().map(toStep);
  }

  /** Registers (or moves) a named wake-up; idempotent per key. */
  schedule(key: string, dueAt: number): void {
    this.sql.exec(
      "INSERT INTO schedule (key, due_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at",
      key,
      dueAt,
    );
  }

  /** When `key` is due, or null when it is not scheduled. */
  dueAt(key: string): number | null {
    const row = this.sql.exec("SELECT due_at FROM schedule WHERE key = ?", key).toArray()[0];
    return row ? Number(row.due_at) : null;
  }

  unschedule(key: string): void {
    this.sql.exec("DELETE FROM schedule WHERE key = ?", key);
  }

  /** Keys due at `now`, removed from the table as they are handed out. */
  takeDue(now: number): string[] {
    const keys = this.sql
      .exec("SELECT key FROM schedule WHERE due_at <= ? ORDER BY due_at", now)
      .toArray()
      .map((r) => String(r.key));
    for (const k of keys) this.unschedule(k);
    return keys;
  }

  nextDue(): number | null {
    const row = this.sql.exec("SELECT MIN(due_at) AS t FROM schedule").one();
    return row.t === null ? null : Number(row.t);
  }
}

// Rows are parsed as they are read: runs outlive the code that stored them (a deploy of Infra Chat
// mid-run), and a shape that no longer fits must fail loudly here, not deep inside a step.
function toRun(r: Row): RunRecord {
  return {
    id: String(r.id),
    planId: String(r.plan_id),
    seq: Number(r.seq),
    priority: Number(r.priority),
    type: RunType.parse(r.type),
    status: RunStatus.parse(r.status),
    requestedBy: r.requested_by === null ? null : String(r.requested_by),
    plan: Plan.parse(JSON.parse(String(r.plan))),
    approvals: r.approvals === null ? null : Approvals.parse(JSON.parse(String(r.approvals))),
    error: r.error === null ? null : String(r.error),
    outputs: RunOutputs.parse(JSON.parse(String(r.outputs))),
    createdAt: String(r.created_at),
    startedAt: nullable(r.started_at),
    endedAt: nullable(r.ended_at),
  };
}

function toStep(r: Row): StepRecord {
  const planned = PlannedStep.parse({
    id: r.id,
    kind: r.kind,
    summary: r.summary,
    params: JSON.parse(String(r.params)),
  });
  return {
    ...planned,
    runId: String(r.run_id),
    idx: Number(r.idx),
    status: StepStatus.parse(r.status),
    attempts: Number(r.attempts),
    startedAt: nullable(r.started_at),
    endedAt: nullable(r.ended_at),
    error: nullable(r.error),
    receiptIds: ReceiptIds.parse(JSON.parse(String(r.receipt_ids))),
    state: StepState.parse(JSON.parse(String(r.state))),
  };
}

const ReceiptIds = z.array(z.string());

function nullable(v: SqlStorageValue): string | null {
  return v === null ? null : String(v);
}

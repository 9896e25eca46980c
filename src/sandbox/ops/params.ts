/**
 * Input side of the simulated ops contract: the same validation, error codes and defaults as the real app
 * (test/fixtures/invoice-perfect/ops/contract.js), so a control-plane bug that the real app would refuse
 * with a 400 is refused here too. Unknown fields are rejected: a misspelt `dryrun` must not become a write.
 */
import type { JsonValue } from "../types";
import { isIanaZone } from "./rules";

export const MAX_BATCH_SIZE = 5000;
const DEFAULT_BATCH_SIZE = 500;
const MAX_SAMPLE = 1000;
const DEFAULT_SAMPLE = 100;
const RUN_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const CURSOR = /^\d{1,18}$/;

/** Jobs the simulated app knows, by the name the control plane sends. */
export const JOB_NAMES = ["backfillTimezone", "fallbackTimezone"] as const;
export type JobName = (typeof JOB_NAMES)[number];

type ErrorDetails = { [key: string]: string | string[] };

/** An expected refusal: HTTP status plus a stable snake_case code, answered as `{error:{code,message,details?}}`. */
export class OpsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = "OpsError";
  }

  toBody(): { error: { code: string; message: string; details?: ErrorDetails } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export interface RunParams {
  job: JobName;
  cursor: string | null;
  batchSize: number;
  dryRun: boolean;
  runId: string;
  /** fallbackTimezone only: the zone a person chose for addresses no rule resolves. */
  zone: string | null;
}

export interface VerifyParams {
  job: JobName;
  sample: number;
  minCoverage: number;
}

type JsonObject = { [key: string]: JsonValue | undefined };

function invalid(message: string, param?: string): OpsError {
  return new OpsError(400, "invalid_params", message, param ? { param } : undefined);
}

function plainObject(value: JsonValue | undefined, what: string): JsonObject {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw invalid(`${what} must be a JSON object`);
  return value;
}

function integerIn(value: JsonValue | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max}`, name);
  }
  return value;
}

function rejectUnknown(rest: JsonObject, what: string): void {
  const keys = Object.keys(rest);
  if (keys.length) throw invalid(`unknown ${what}: ${keys.join(", ")}`);
}

function parseEnvelope(body: JsonValue | undefined): { job: JobName; params: JsonObject } {
  const { job, params, ...rest } = plainObject(body, "the request body");
  rejectUnknown(rest, "field(s)");
  const known = JOB_NAMES.find((name) => name === job);
  if (!known)
    throw new OpsError(400, "unknown_job", `unknown job ${JSON.stringify(job ?? null)}`, { jobs: [...JOB_NAMES] });
  return { job: known, params: plainObject(params, "params") };
}

// The cursor is the last id of the previous page; a number is accepted too, as the real app does.
function parseCursor(cursor: JsonValue | undefined): string | null {
  if (cursor === undefined || cursor === null || cursor === "") return null;
  const text = typeof cursor === "number" && Number.isSafeInteger(cursor) && cursor >= 0 ? String(cursor) : cursor;
  if (typeof text !== "string" || !CURSOR.test(text))
    throw invalid("cursor must be null or a nextCursor returned earlier", "cursor");
  return text;
}

/** `{job, params:{cursor?, batchSize?, dryRun?, runId?, …job params}}` → validated run parameters. */
export function parseRunRequest(body: JsonValue | undefined): RunParams {
  const { job, params } = parseEnvelope(body);
  const { cursor, batchSize, dryRun, runId, ...jobParams } = params;
  if (dryRun !== undefined && typeof dryRun !== "boolean") throw invalid("dryRun must be a boolean", "dryRun");
  if (runId !== undefined && (typeof runId !== "string" || !RUN_ID.test(runId))) {
    throw invalid("runId must be 1-64 characters of letters, digits, _ . : -", "runId");
  }
  let zone: string | null = null;
  if (job === "fallbackTimezone") {
    const { zone: given, ...extra } = jobParams;
    rejectUnknown(extra, "param(s)");
    if (!isIanaZone(given))
      throw invalid("zone must be an IANA time zone name such as UTC or America/New_York", "zone");
    zone = given;
  } else {
    rejectUnknown(jobParams, "param(s)");
  }
  return {
    job,
    cursor: parseCursor(cursor),
    batchSize: integerIn(batchSize, "batchSize", 1, MAX_BATCH_SIZE, DEFAULT_BATCH_SIZE),
    dryRun: dryRun === true,
    // Without an id every call starts a new run, whose id the response returns.
    runId: typeof runId === "string" ? runId : `${job}-${crypto.randomUUID()}`,
    zone,
  };
}

/** `{job, params:{sample?, minCoverage?}}` → validated verify parameters. */
export function parseVerifyRequest(body: JsonValue | undefined): VerifyParams {
  const { job, params } = parseEnvelope(body);
  const { sample, minCoverage, ...rest } = params;
  rejectUnknown(rest, "param(s)");
  if (minCoverage !== undefined && (typeof minCoverage !== "number" || !(minCoverage >= 0 && minCoverage <= 100))) {
    throw invalid("minCoverage must be a number from 0 to 100", "minCoverage");
  }
  return { job, sample: integerIn(sample, "sample", 0, MAX_SAMPLE, DEFAULT_SAMPLE), minCoverage: minCoverage ?? 100 };
}

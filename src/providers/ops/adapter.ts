import { z } from "zod";
import { parseJsonBody, providerRequest } from "../http";
import type { ProviderContext } from "../types";
import type { OpsApi, OpsMigrations } from "./api";

export interface OpsApiOptions {
  /** The app's base URL, e.g. https://api-staging-1a2b.up.railway.app */
  baseUrl: string;
  /** Bearer token the app requires for /ops/* (OPS_TOKEN), when it has one. */
  token?: string;
}

const Batch = z.object({
  runId: z.string().nullable(),
  processed: z.number().int().nonnegative(),
  nextCursor: z.string().nullable(),
  done: z.boolean(),
  failures: z.array(z.object({ id: z.union([z.number(), z.string()]), reason: z.string() })),
  changed: z.array(z.object({ id: z.union([z.number(), z.string()]), timezone: z.string().optional() })).default([]),
  counts: z.object({ updated: z.number(), failed: z.number(), skipped: z.number() }),
});

const Verification = z.object({
  total: z.number(),
  filled: z.number(),
  coverage: z.number(),
  ok: z.boolean(),
  invalid: z.array(z.unknown()).default([]),
  invalidCount: z.number().int().nonnegative().optional(),
  sampleMismatches: z.array(z.unknown()).default([]),
  sampled: z.number().int().nonnegative().optional(),
  unverifiable: z.number().int().nonnegative().optional(),
  missingByReason: z.record(z.string(), z.number().int().nonnegative()).optional(),
});

const Migrations: z.ZodType<OpsMigrations> = z.object({
  applied: z.array(z.string()),
  pending: z.array(z.object({ name: z.string(), class: z.enum(["expand", "contract"]), reasons: z.array(z.string()) })),
});

/** The ops contract over HTTP; runs are idempotent at the app (runId + cursor), so retries are safe. */
export function createOpsApi(ctx: ProviderContext, opts: OpsApiOptions): OpsApi {
  const base = opts.baseUrl.replace(/\/$/, "");
  const post = <T>(path: string, body: unknown, schema: z.ZodType<T>) =>
    providerRequest(ctx, "app", {
      operation: `POST ${path}`,
      kind: "idempotent",
      method: "POST",
      url: `${base}${path}`,
      headers,
      body: JSON.stringify(body),
      read: (res) => parseJsonBody("app", res, schema),
    });
  const headers = {
    "content-type": "application/json",
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
  };
  return {
    migrations: () =>
      providerRequest(ctx, "app", {
        operation: "GET /ops/migrations",
        kind: "idempotent",
        method: "GET",
        url: `${base}/ops/migrations`,
        headers,
        read: (res) => parseJsonBody("app", res, Migrations),
      }),
    runBatch: ({ job, cursor, batchSize, dryRun, runId }) =>
      post("/ops/jobs/run", { job, params: { cursor, batchSize, dryRun, runId } }, Batch),
    verify: ({ job, sample, minCoverage }) =>
      post("/ops/jobs/verify", { job, params: { sample, minCoverage } }, Verification),
  };
}

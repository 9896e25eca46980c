/**
 * Both routers' data as the judge's batches: a load-balancer check window (Railway logs, the fixed-window
 * judge's TrackSample) and an edge router report (per-second counts). Same rule, different look frequency.
 */
import { z } from "zod";
import { LAST_LATENCY_BUCKET, type LatencyHistogram, latencyBucket } from "../../domain/latency-buckets";
import type { ReportedSecond, RouterReport } from "../../edge-router/protocol";
import type { TrackSample } from "../judge";
import type { CountBatch, TrackCounts } from "./state";

/** A check window's sample (load-balancer router) as counts. */
export function countsFromSample(sample: TrackSample): TrackCounts {
  const latency: LatencyHistogram = {};
  for (const ms of sample.latenciesMs) {
    const b = latencyBucket(ms);
    latency[b] = (latency[b] ?? 0) + 1;
  }
  const failed = sample.synthetic.filter((c) => !c.ok).length;
  return {
    requests: sample.requests,
    errors: sample.errors,
    latency,
    logMatches: { ...sample.logMatches },
    checks: { ok: sample.synthetic.length - failed, failed },
  };
}

const count = z.number().int().min(0);
const bucketKey = z.string().refine((k) => /^\d{1,3}$/.test(k) && Number(k) <= LAST_LATENCY_BUCKET, "latency bucket");

/** An edge router report as the control plane must check it before counting anything. */
export const RouterReportSchema = z.object({
  v: z.literal(1),
  router: z.string().max(32),
  route: z.string().max(200),
  isolate: z.string().min(1).max(64),
  seq: z.number().int().min(1),
  dropped: count,
  seconds: z
    .array(
      z
        .object({
          at: z.number().int().min(0),
          track: z.enum(["stable", "canary"]),
          revision: z.number().int().min(0),
          salt: z.string().max(200),
          requests: count,
          status: z.object({ "2xx": count, "3xx": count, "4xx": count, "5xx": count }),
          latency: z.record(bucketKey, count),
        })
        .refine((s) => s.status["2xx"] + s.status["3xx"] + s.status["4xx"] + s.status["5xx"] === s.requests, {
          message: "status classes must add up to the requests",
        }),
    )
    .max(2000),
}) satisfies z.ZodType<RouterReport>;

/**
 * One batch per second for one step (its salt): a late report from the step before is not this step's data.
 * Several isolates report the same second; their counts add up.
 */
export function batchesFromSeconds(seconds: ReportedSecond[], salt: string): { at: number; batch: CountBatch }[] {
  const bySecond = new Map<number, CountBatch>();
  for (const s of seconds) {
    if (s.salt !== salt) continue;
    let batch = bySecond.get(s.at);
    if (!batch) {
      batch = { canary: { requests: 0, errors: 0, latency: {} }, baseline: { requests: 0, errors: 0, latency: {} } };
      bySecond.set(s.at, batch);
    }
    const track = s.track === "canary" ? batch.canary : batch.baseline;
    track.requests += s.requests;
    track.errors += s.status["5xx"];
    const latency = track.latency as LatencyHistogram;
    for (const [b, n] of Object.entries(s.latency)) latency[b] = (latency[b] ?? 0) + n;
  }
  return [...bySecond.entries()].sort(([a], [b]) => a - b).map(([at, batch]) => ({ at, batch }));
}

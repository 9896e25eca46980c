/**
 * Reports from an environment's edge router (docs/edge-router-protocol.md). The router signs each report with
 * the environment's router secret in Stripe's v1 scheme; nothing in the body is read before the signature
 * holds. A verified report goes to the environment's Durable Object, which stores, deduplicates and counts it
 * in one transaction: the 200 the router gets means "counted", so it may forget the report.
 */
import { resolveSecret } from "../db/secrets";
import { AppError } from "../domain/errors";
import { RouterReportSchema } from "../monitor/sequential/batches";
import { EDGE_ROUTER_SECRET } from "../domain/traffic";
import { verifyStripeSignature } from "../security/stripe-signature";
import type { Services } from "./services";

export interface EdgeReportAnswer {
  accepted: true;
  /** A retry of a report already counted. */
  duplicate?: true;
  /** Seconds folded into the judge, or why none were (no canary of that route is being judged). */
  counted?: number;
  ignored?: string;
}

/** Verifies, parses and hands one report to its environment; AppError on anything else. */
export async function ingestEdgeReport(
  services: Services,
  envId: string | undefined,
  rawBody: string,
  signature: string | null,
  nowSeconds: number,
): Promise<EdgeReportAnswer> {
  // One answer for an unknown environment and a bad signature: the difference would only help a forger.
  if (!envId || !(await verified(services, envId, rawBody, signature, nowSeconds)))
    throw new AppError("unauthorized", "invalid router signature");
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new AppError("invalid_request", "a router report is JSON");
  }
  const parsed = RouterReportSchema.safeParse(json);
  if (!parsed.success) throw new AppError("invalid_request", "not a router report", parsed.error.issues.slice(0, 5));
  const outcome = await services.environment(envId).ingestRouterReport(parsed.data);
  if (outcome.kind === "duplicate") return { accepted: true, duplicate: true };
  if (outcome.kind === "ignored") return { accepted: true, ignored: outcome.reason };
  return { accepted: true, counted: outcome.seconds };
}

/**
 * A router reports every second: the environment's secret is decrypted once a minute per isolate, not per
 * report. A signature the cached secret does not verify is checked once more against the stored one, so a
 * secret written since (a new router) is never refused for being cached.
 */
const SECRET_CACHE_MS = 60_000;
const secrets = new Map<string, { value: string | null; at: number }>();

async function verified(
  services: Services,
  envId: string,
  rawBody: string,
  signature: string | null,
  nowSeconds: number,
): Promise<boolean> {
  const check = async (secret: string | null) =>
    secret !== null && (await verifyStripeSignature(secret, rawBody, signature, nowSeconds)).ok;
  const cached = secrets.get(envId);
  if (cached && services.now() - cached.at < SECRET_CACHE_MS && (await check(cached.value))) return true;
  const value = await resolveSecret(services.db, services.cipher, envId, EDGE_ROUTER_SECRET);
  // Bounded: anyone may name any environment in the URL.
  if (secrets.size > 1000) secrets.clear();
  secrets.set(envId, { value, at: services.now() });
  return check(value);
}

/** Shared steps of the monitoring tests: injected-clock ticks, SMS replies, spec tweaks, faults. */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import type { MonitorReport } from "../../src/monitor/types";
import type { RpcResult } from "../../src/domain/errors";
import { computeTwilioSignature } from "../../src/security/twilio-signature";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, envObject } from "./helpers";

/**
 * The monitor's clock for one test file: starts an hour ahead of the wall clock so the background
 * watchdog (which ticks with the real clock) never counts as a check, and moves one interval per tick.
 */
export function monitorClock(intervalMs = 60_000) {
  let at = Date.now() + 3600_000;
  return {
    /** One check of `envId` at the next interval. */
    async tick(envId: string, options: { drift?: boolean } = {}): Promise<MonitorReport> {
      at += intervalMs;
      const res = (await envObject(envId).monitorTick(envId, {
        at,
        ...options,
      })) as unknown as RpcResult<MonitorReport>;
      if (!res.ok) throw new Error(`${res.code}: ${res.message}`);
      return res.value;
    },
    /** Moves the clock without a check (a missed cron tick). */
    skip(ms: number) {
      at += ms;
    },
    now: () => at,
  };
}

/** A signed Twilio webhook from `from` saying `body`. */
export async function sms(from: string, body: string) {
  const url = `${env.PUBLIC_URL}/webhooks/twilio/sms`;
  const pairs: [string, string][] = [
    ["MessageSid", `SM${crypto.randomUUID().replaceAll("-", "")}`],
    ["AccountSid", `AC${"0".repeat(32)}`],
    ["From", from],
    ["To", "+15550009999"],
    ["Body", body],
  ];
  const signature = await computeTwilioSignature("sandbox-twilio-auth-token", url, pairs);
  return api(null, "POST", "/webhooks/twilio/sms", new URLSearchParams(pairs).toString(), {
    "content-type": "application/x-www-form-urlencoded",
    "x-twilio-signature": signature,
  });
}

/** Writes a new spec revision of `envId` with `change` applied (test shortcut into D1, like canary.test.ts). */
export async function changeSpec(envId: string, change: (spec: any) => void) {
  const row = await env.DB.prepare(
    "SELECT e.id, e.revision, r.spec FROM environments e JOIN spec_revisions r ON r.env_id = e.id AND r.revision = e.revision WHERE e.id = ?",
  )
    .bind(envId)
    .first<{ id: string; revision: number; spec: string }>();
  const spec = JSON.parse(row!.spec);
  change(spec);
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO spec_revisions (env_id, revision, spec, author, reason, created_at) VALUES (?, ?, ?, 'test', 'test policy', ?)",
    ).bind(row!.id, row!.revision + 1, JSON.stringify(spec), new Date().toISOString()),
    env.DB.prepare("UPDATE environments SET revision = ? WHERE id = ?").bind(row!.revision + 1, row!.id),
  ]);
}

/** A 100% 5xx fault on the stable api of `envName`. */
export async function failApi(envName: string, errorRate = 1) {
  const res = await sandboxWorld(env).addFault({ kind: "app", env: envName, service: "api", track: "all", errorRate });
  expect(res.ok).toBe(true);
}

/** Incidents of an environment as the API lists them. */
export async function incidentsOf(token: string, envRef: string, status?: "open" | "resolved") {
  const res = await api(token, "GET", `/api/incidents?env=${envRef}${status ? `&status=${status}` : ""}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.incidents as any[];
}

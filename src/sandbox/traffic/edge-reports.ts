/**
 * The edge router's reports (docs/edge-router-protocol.md, "Reports"), as a router in the sandbox's Cloudflare
 * would send them: for each second the group's simulated traffic goes through the router, the counts per
 * track (requests, status classes, latency buckets) under the config in force, signed with ROUTER_SECRET and
 * POSTed to the config's report URL; a report that fails is sent again with the same (isolate, seq).
 *
 * Time: the router serves simulated seconds from a cursor that never falls behind the wall clock. With time
 * scale s > 0 it serves 10/s simulated seconds per real second (the pace of the control plane's simulated
 * canary clock); at scale 0 as fast as the alarm turns. Each second is served under the config in force when
 * its turn comes, and its report goes out when it is over, so a config the control plane pushes while
 * handling a report applies from the next second: the simulated time to 0% is decision + 1 s. The router
 * only reports while it has a canary to report on (its config carries `report` then) and stops at the
 * canary's deadline, so an idle sandbox spends nothing here.
 */
import { latencyBucket } from "../../domain/latency-buckets";
import { routedScripts, routerBindings, type RouterConfigView } from "../cloudflare/edge-router";
import { getResource } from "../cloudflare/store";
import { currentDeployment } from "../world/deployments";
import { findDomain } from "../world/domains";
import type { World } from "../world/store";
import { requestsInSecond } from "./generator";
import { planForDeployment, type TrafficPlan } from "./plan";

/** Where reports go: a request in, the control plane's answer out; null when nothing serves that URL. */
export type ReportTarget = (request: Request) => Promise<Response> | null;

/** Reported in every report's `router` field, so the control plane can tell the simulation from the real one. */
export const SANDBOX_ROUTER_VERSION = "sandbox-1";
const SIGNATURE_HEADER = "x-infra-chat-signature";
/** Simulated seconds a pump serves at most per route and alarm turn. */
export const PUMP_SECONDS = 20;

interface PumpState {
  cursor: number | null;
  seq: number;
  revision: number | null;
  lastPumpAt: number;
  /** A report the control plane has not taken yet: sent again, unchanged, before anything new. */
  pending: { seq: number; body: string } | null;
}

type Track = "stable" | "canary";
interface SecondCounts {
  at: number;
  track: Track;
  revision: number;
  salt: string;
  requests: number;
  status: { "2xx": number; "3xx": number; "4xx": number; "5xx": number };
  latency: Record<string, number>;
}

const stateKey = (scriptId: string) => `edge-pump:${scriptId}`;

function loadState(world: World, scriptId: string): PumpState {
  const raw = world.getMeta(stateKey(scriptId));
  return raw ? (JSON.parse(raw) as PumpState) : { cursor: null, seq: 0, revision: null, lastPumpAt: 0, pending: null };
}

/** Lowercase hex HMAC-SHA256 of `${t}.${body}` under the router secret (the protocol's signature). */
async function sign(secret: string, body: string, t: number): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(`${t}.${body}`)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The services the router's origins are, in their environment (by their Railway domains). */
function membersOf(world: World, config: RouterConfigView) {
  const stable = findDomain(world, config.stable.origin);
  const canary = config.canary ? findDomain(world, config.canary.origin) : null;
  return { stable, canary: canary && canary.environment_id === stable?.environment_id ? canary : null };
}

type Plans = [Track, TrafficPlan | null][];

/** Both tracks' traffic plans under a config (built once per config and pump turn: a plan costs a dozen reads). */
function plansOf(world: World, config: RouterConfigView): Plans {
  const members = membersOf(world, config);
  return (
    [
      ["stable", members.stable],
      ["canary", members.canary],
    ] as const
  ).map(([track, domain]) => {
    const live = domain ? currentDeployment(world, domain.service_id, domain.environment_id) : null;
    return [track, live ? planForDeployment(world, live) : null];
  });
}

/** What the router saw in one second: the group's simulated requests per track under the config in force. */
function secondOf(plans: Plans, config: RouterConfigView, second: number): SecondCounts[] {
  const out: SecondCounts[] = [];
  for (const [track, plan] of plans) {
    const requests = plan ? requestsInSecond(plan, second) : [];
    if (requests.length === 0) continue;
    const counts: SecondCounts = {
      at: second,
      track,
      revision: config.revision,
      salt: config.canary?.salt ?? "",
      requests: requests.length,
      status: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
      latency: {},
    };
    for (const r of requests) {
      const cls = r.status >= 500 ? "5xx" : r.status >= 400 ? "4xx" : r.status >= 300 ? "3xx" : "2xx";
      counts.status[cls]++;
      const b = latencyBucket(r.totalMs);
      counts.latency[b] = (counts.latency[b] ?? 0) + 1;
    }
    out.push(counts);
  }
  return out;
}

async function post(
  world: World,
  target: ReportTarget,
  url: string,
  secret: string,
  body: string,
): Promise<{ status: number | null; note: string | null; sentAt: number; answeredAt: number }> {
  const sentAt = Date.now();
  const t = Math.floor(world.now() / 1000);
  const request = new Request(url, {
    method: "POST",
    headers: { "content-type": "application/json", [SIGNATURE_HEADER]: `t=${t},v1=${await sign(secret, body, t)}` },
    body,
  });
  try {
    const pending = target(request);
    if (!pending)
      return { status: null, note: "not sent: the report URL is outside the sandbox", sentAt, answeredAt: Date.now() };
    const response = await pending;
    // The protocol's answer says whether the seconds were counted, or why not (no canary being judged).
    const answer = (await response.json().catch(() => null)) as { ignored?: unknown } | null;
    const note = typeof answer?.ignored === "string" ? `ignored: ${answer.ignored}` : null;
    return { status: response.status, note, sentAt, answeredAt: Date.now() };
  } catch (error) {
    const note = `not delivered: ${error instanceof Error ? error.message : String(error)}`;
    return { status: null, note, sentAt, answeredAt: Date.now() };
  }
}

function logReport(
  world: World,
  script: string,
  report: { route: string; seq: number; seconds: SecondCounts[] },
  outcome: { status: number | null; note: string | null; sentAt: number; answeredAt: number },
): void {
  const sum = (track: Track, what: "requests" | "5xx") =>
    report.seconds
      .filter((s) => s.track === track)
      .reduce((n, s) => n + (what === "requests" ? s.requests : s.status["5xx"]), 0);
  const first = report.seconds[0];
  world.run(
    `INSERT INTO edge_reports (script, route, report_seq, second, salt, revision, canary_requests, canary_errors,
       stable_requests, stable_errors, status, note, sent_at, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    script,
    report.route,
    report.seq,
    first?.at ?? 0,
    first?.salt ?? "",
    first?.revision ?? 0,
    sum("canary", "requests"),
    sum("canary", "5xx"),
    sum("stable", "requests"),
    sum("stable", "5xx"),
    outcome.status,
    outcome.note,
    outcome.sentAt,
    outcome.answeredAt,
  );
}

// Taken means stored and counted (2xx) or refused for good (4xx other than 408/429): never sent again.
const taken = (status: number | null) =>
  status !== null && status < 500 && status !== 408 && status !== 429 && status >= 200;

/**
 * Serves and reports the next simulated seconds of every routed script that has a canary to report on.
 * Returns whether any still has (the alarm then comes back).
 */
export async function pumpEdgeReports(
  world: World,
  target: ReportTarget,
  maxSeconds = PUMP_SECONDS,
): Promise<{ active: boolean; reports: number }> {
  let active = false;
  let reports = 0;
  const seen = new Set<string>();
  for (const { script } of routedScripts(world)) {
    if (seen.has(script.id)) continue;
    seen.add(script.id);
    const state = loadState(world, script.id);
    const elapsedMs = world.now() - (state.lastPumpAt || world.now() - 1000);
    const allowed =
      world.timeScale > 0 ? Math.min(maxSeconds, Math.floor((elapsedMs * 10) / world.timeScale / 1000)) : maxSeconds;
    // At a time scale above 0 the unspent fraction of a second waits for the next turn.
    if (allowed > 0 || world.timeScale === 0) state.lastPumpAt = world.now();
    let plans = null as { revision: number; plans: Plans } | null;
    for (let k = 0; k < Math.max(allowed, state.pending ? 1 : 0); k++) {
      const current = getResource(world, "worker_script", script.ownerId, script.id);
      const { config, secret } = current ? routerBindings(current.settings) : { config: null, secret: null };
      if (!config || !secret) break;
      const second = Math.max(state.cursor ?? 0, Math.floor(world.now() / 1000));
      if (config.revision !== state.revision) {
        world.run(
          "INSERT INTO edge_configs (script, revision, weight, salt, deadline, from_second, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
          script.settings.name,
          config.revision,
          config.canary?.weight ?? 0,
          config.canary?.salt ?? "",
          config.canary?.deadline ?? null,
          second,
          world.now(),
        );
        state.revision = config.revision;
      }
      if (state.pending) {
        // The same report, re-signed: the control plane counts an (isolate, seq) once.
        const outcome = await post(world, target, config.report?.url ?? "", secret, state.pending.body);
        world.run(
          "UPDATE edge_reports SET status = ?, note = ? WHERE script = ? AND report_seq = ?",
          outcome.status,
          outcome.note,
          script.settings.name,
          state.pending.seq,
        );
        if (!taken(outcome.status)) break;
        state.pending = null;
        continue;
      }
      if (!config.report || !config.canary || second * 1000 >= config.canary.deadline) break;
      active = true;
      if (plans?.revision !== config.revision) plans = { revision: config.revision, plans: plansOf(world, config) };
      const seconds = secondOf(plans.plans, config, second);
      state.cursor = second + 1;
      if (seconds.length === 0) continue;
      const report = {
        v: 1,
        router: SANDBOX_ROUTER_VERSION,
        route: config.route,
        isolate: `sandbox-${script.id}`,
        seq: ++state.seq,
        dropped: 0,
        seconds,
      };
      const body = JSON.stringify(report);
      world.setMeta(stateKey(script.id), JSON.stringify(state));
      const outcome = await post(world, target, config.report.url, secret, body);
      logReport(world, script.settings.name, report, outcome);
      reports++;
      if (!taken(outcome.status)) {
        state.pending = { seq: report.seq, body };
        break;
      }
    }
    if (state.pending) active = true;
    world.setMeta(stateKey(script.id), JSON.stringify(state));
  }
  return { active, reports };
}

/** What the sandbox's routers did, for `GET /sandbox/state`: config changes as served, and report totals. */
export function edgeView(world: World) {
  const configs = world.rows<{
    script: string;
    revision: number;
    weight: number;
    salt: string;
    deadline: number | null;
    from_second: number;
  }>("SELECT * FROM edge_configs ORDER BY seq DESC LIMIT 200");
  const totals = world.rows<{
    script: string;
    salt: string;
    reports: number;
    accepted: number;
    canary_requests: number;
    canary_errors: number;
    stable_requests: number;
    stable_errors: number;
    first_second: number;
    last_second: number;
  }>(
    `SELECT script, salt, COUNT(*) AS reports, SUM(CASE WHEN status BETWEEN 200 AND 299 AND note IS NULL THEN 1 ELSE 0 END) AS accepted,
       SUM(CASE WHEN status BETWEEN 200 AND 299 AND note IS NULL THEN canary_requests ELSE 0 END) AS canary_requests,
       SUM(CASE WHEN status BETWEEN 200 AND 299 AND note IS NULL THEN canary_errors ELSE 0 END) AS canary_errors,
       SUM(CASE WHEN status BETWEEN 200 AND 299 AND note IS NULL THEN stable_requests ELSE 0 END) AS stable_requests,
       SUM(CASE WHEN status BETWEEN 200 AND 299 AND note IS NULL THEN stable_errors ELSE 0 END) AS stable_errors,
       MIN(second) AS first_second, MAX(second) AS last_second
     FROM edge_reports GROUP BY script, salt ORDER BY MIN(seq)`,
  );
  const recent = world.rows<{
    script: string;
    report_seq: number;
    second: number;
    status: number | null;
    note: string | null;
  }>("SELECT script, report_seq, second, status, note FROM edge_reports ORDER BY seq DESC LIMIT 10");
  const trips = world
    .rows<{ ms: number }>(
      "SELECT answered_at - sent_at AS ms FROM edge_reports WHERE answered_at IS NOT NULL ORDER BY seq DESC LIMIT 5000",
    )
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  const quantile = (q: number) =>
    trips.length ? trips[Math.min(trips.length - 1, Math.floor(q * trips.length))] : null;
  return {
    /** Each config a router served, newest first, with the simulated second it served from. */
    configs: configs.map((c) => ({
      script: c.script,
      revision: c.revision,
      weight: c.weight,
      salt: c.salt,
      deadline: c.deadline,
      fromSecond: c.from_second,
    })),
    /** Reports per router and step (salt): sent, counted by the control plane, and the counts it took. */
    totals: totals.map((t) => ({
      script: t.script,
      salt: t.salt,
      reports: t.reports,
      accepted: t.accepted,
      canary: { requests: t.canary_requests, errors: t.canary_errors },
      stable: { requests: t.stable_requests, errors: t.stable_errors },
      firstSecond: t.first_second,
      lastSecond: t.last_second,
    })),
    /** Real milliseconds from posting a report to the control plane's answer (stored and counted), last 5,000. */
    roundTripMs: { reports: trips.length, p50: quantile(0.5), p99: quantile(0.99) },
    recent: recent.map((r) => ({
      script: r.script,
      seq: r.report_seq,
      second: r.second,
      status: r.status,
      note: r.note,
    })),
  };
}

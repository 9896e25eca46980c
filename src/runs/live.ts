/**
 * The live feed of one environment: what its EnvironmentDO pushes to WebSocket subscribers (web chat,
 * chat event streams, the CLI) on every committed run or step transition. Sockets use the hibernation
 * API, so an idle environment with watchers open costs nothing between transitions.
 */
import { z } from "zod";
import { CanaryState } from "../domain/canary";
import { RunStatus, StepStatus } from "../domain/run";
import { BackfillProgress } from "./outputs";
import type { RunRecord, StepRecord } from "./store";

/** The WebSocket subprotocol the server answers with (clients may also offer `bearer.<token>`). */
export const LIVE_PROTOCOL = "infra-chat.v1";
const SOCKET_TAG = "live";

/** One canary check as the chart plots it: weight and error rates of canary vs baseline at a time. */
export const CanaryPoint = z.object({
  at: z.string(),
  weight: z.number(),
  score: z.number().nullable(),
  verdict: z.string(),
  canaryErrorRate: z.number().nullable(),
  baselineErrorRate: z.number().nullable(),
});
export type CanaryPoint = z.infer<typeof CanaryPoint>;

/** A run as watchers see it: statuses, step notes, canary and backfill progress — never plan params or outputs. */
export const LiveRun = z.object({
  id: z.string(),
  type: z.string(),
  env: z.string(),
  status: RunStatus,
  requestedBy: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  steps: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      summary: z.string(),
      status: StepStatus,
      attempts: z.number(),
      note: z.string().optional(),
      error: z.string().optional(),
    }),
  ),
  approvals: z
    .object({
      required: z.boolean(),
      approvedBy: z.array(z.string()),
      rejectedBy: z.string().optional(),
      expiresAt: z.string(),
    })
    .optional(),
  progress: BackfillProgress.optional(),
  canary: CanaryState.omit({ stepIndex: true })
    .extend({ points: z.array(CanaryPoint) })
    .optional(),
});
export type LiveRun = z.infer<typeof LiveRun>;

/** Messages on the feed: a snapshot of recent runs on connect, then one message per transition. */
export const LiveMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("snapshot"), env: z.string(), at: z.string(), runs: z.array(LiveRun) }),
  z.object({ type: z.literal("run"), at: z.string(), run: LiveRun }),
]);
export type LiveMessage = z.infer<typeof LiveMessage>;

/** Builds the watcher's view of a run from the DO's records (pure: the caller redacts and sends). */
export function liveRun(run: RunRecord, steps: StepRecord[]): LiveRun {
  const { canary, canaryChecks: checks = [], progress } = run.outputs;
  return {
    id: run.id,
    type: run.type,
    env: run.plan.env,
    status: run.status,
    requestedBy: run.requestedBy,
    error: run.error,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    steps: steps.map((s) => ({
      id: s.id,
      kind: s.kind,
      summary: s.summary,
      status: s.status,
      attempts: s.attempts,
      ...(typeof s.state.note === "string" ? { note: s.state.note } : {}),
      ...(s.error ? { error: s.error } : {}),
    })),
    ...(run.approvals
      ? {
          approvals: {
            required: run.approvals.required,
            approvedBy: run.approvals.approvedBy,
            ...(run.approvals.rejectedBy ? { rejectedBy: run.approvals.rejectedBy } : {}),
            expiresAt: run.approvals.expiresAt,
          },
        }
      : {}),
    ...(progress ? { progress } : {}),
    ...(canary
      ? {
          canary: {
            phase: canary.phase,
            service: canary.service,
            weight: canary.weight,
            steps: canary.steps,
            lastScore: canary.lastScore,
            history: canary.history,
            points: checks.map((c) => ({
              at: c.at,
              weight: c.weight,
              score: c.score,
              verdict: c.verdict,
              canaryErrorRate: c.canary.errorRate,
              baselineErrorRate: c.baseline.errorRate,
            })),
          },
        }
      : {}),
  };
}

/** How many recent runs a new watcher's snapshot carries. */
export const SNAPSHOT_RUNS = 10;

const WATCH_HEADERS = { envId: "x-infra-chat-env-id", env: "x-infra-chat-env" } as const;

/** The request a Worker sends to an EnvironmentDO to open a watcher socket (after it authenticated the caller). */
export function watchRequest(envId: string, env: string): Request {
  return new Request("https://environment.internal/live", {
    headers: { upgrade: "websocket", [WATCH_HEADERS.envId]: envId, [WATCH_HEADERS.env]: env },
  });
}

/** Reads a watch request in the DO; anything else gets 426 (the DO is never reachable from outside). */
export function readWatchRequest(request: Request): { envId: string; env: string } | Response {
  const envId = request.headers.get(WATCH_HEADERS.envId);
  const env = request.headers.get(WATCH_HEADERS.env);
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !envId || !env)
    return new Response("expected a watch upgrade", { status: 426 });
  return { envId, env };
}

/** The hibernatable WebSockets of one Durable Object and the broadcast to them. */
export class LiveChannel {
  constructor(private readonly ctx: DurableObjectState) {}

  /** Accepts a watcher: the first message is `first` (the snapshot), then every broadcast. */
  accept(first: LiveMessage): Response {
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server, [SOCKET_TAG]);
    server.send(JSON.stringify(first));
    return new Response(null, { status: 101, webSocket: client, headers: { "sec-websocket-protocol": LIVE_PROTOCOL } });
  }

  /** Whether anyone is watching (building a message is skipped otherwise). */
  get watched(): boolean {
    return this.ctx.getWebSockets(SOCKET_TAG).length > 0;
  }

  /** Sends to every watcher; a socket that is closing is skipped, never failing the transition. */
  broadcast(message: LiveMessage): void {
    const text = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets(SOCKET_TAG)) {
      try {
        ws.send(text);
      } catch {
        // The peer went away between getWebSockets and send; webSocketClose cleans up.
      }
    }
  }
}

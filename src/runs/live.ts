/**
 * The live feed of one environment: what its EnvironmentDO pushes to WebSocket subscribers (web chat,
 * chat event streams, the CLI) on every committed run or step transition. Sockets use the hibernation
 * API, so an idle environment with watchers open costs nothing between transitions.
 */
import { z } from "zod";
import { CanaryState } from "../domain/canary";
import { CanaryLook } from "./canary/looks";
import type { RunRecord, StepRecord } from "./store";
import { RunView, runView } from "./view";

/** The WebSocket subprotocol the server answers with (clients may also offer `bearer.<token>`). */
export const LIVE_PROTOCOL = "infra-chat.v1";
const SOCKET_TAG = "live";

/** One canary check as the chart plots it: weight and error rates of canary vs baseline at a time. */
export const CanaryPoint = z.object({
  /** Wall time of the check. */
  at: z.string(),
  /** Seconds into the weight's soak (simulated in the sandbox, then `simulated` is set). */
  soakSeconds: z.number().optional(),
  simulated: z.boolean().optional(),
  weight: z.number(),
  score: z.number().nullable(),
  verdict: z.string(),
  canaryErrorRate: z.number().nullable(),
  baselineErrorRate: z.number().nullable(),
});
export type CanaryPoint = z.infer<typeof CanaryPoint>;

/** The sequential judge as the chart draws it: each metric's running evidence against its threshold, with samples. */
export const CanaryEvidence = z.object({
  router: z.enum(["load-balancer", "edge"]),
  alpha: z.number(),
  looks: z.array(CanaryLook),
});

/** A run as watchers see it: the run view, with the canary's phase and its checks or evidence for the chart. */
export const LiveRun = RunView.extend({
  canary: CanaryState.omit({ stepIndex: true })
    .extend({ points: z.array(CanaryPoint), evidence: CanaryEvidence.optional() })
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
  const { canary, canaryChecks = [], progress, sequential } = run.outputs;
  const view = runView(
    { ...run, env: run.plan.env, progress },
    steps.map((s) => ({ ...s, note: s.state.note })),
  );
  if (!canary) return view;
  const { stepIndex: _stepIndex, ...shown } = canary;
  const points = canaryChecks.map((c) => ({
    at: c.at,
    ...(c.soakSeconds !== undefined ? { soakSeconds: c.soakSeconds } : {}),
    ...(c.simulated ? { simulated: true } : {}),
    weight: c.weight,
    score: c.score,
    verdict: c.verdict,
    canaryErrorRate: c.canary.errorRate,
    baselineErrorRate: c.baseline.errorRate,
  }));
  const evidence = sequential && {
    router: sequential.router,
    alpha: sequential.config.alpha,
    looks: sequential.looks,
  };
  return { ...view, canary: { ...shown, points, ...(evidence ? { evidence } : {}) } };
}

/** How many recent runs a new watcher's snapshot carries. */
export const SNAPSHOT_RUNS = 10;

const WATCH_HEADERS = {
  envId: "x-infra-chat-env-id",
  env: "x-infra-chat-env",
  tokenId: "x-infra-chat-token-id",
} as const;

/** The close code a watcher gets when the token it was opened with is revoked (4000–4999: application codes). */
export const TOKEN_REVOKED_CLOSE = 4401;

/**
 * The request a Worker sends to an EnvironmentDO to open a watcher socket (after it authenticated the
 * caller); `tokenId` tags the socket so revoking that token closes it.
 */
export function watchRequest(envId: string, env: string, tokenId?: string): Request {
  return new Request("https://environment.internal/live", {
    headers: {
      upgrade: "websocket",
      [WATCH_HEADERS.envId]: envId,
      [WATCH_HEADERS.env]: env,
      ...(tokenId ? { [WATCH_HEADERS.tokenId]: tokenId } : {}),
    },
  });
}

/** Reads a watch request in the DO; anything else gets 426 (the DO is never reachable from outside). */
export function readWatchRequest(request: Request): { envId: string; env: string; tokenId?: string } | Response {
  const envId = request.headers.get(WATCH_HEADERS.envId);
  const env = request.headers.get(WATCH_HEADERS.env);
  const tokenId = request.headers.get(WATCH_HEADERS.tokenId) ?? undefined;
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !envId || !env)
    return new Response("expected a watch upgrade", { status: 426 });
  return { envId, env, ...(tokenId ? { tokenId } : {}) };
}

const tokenTag = (tokenId: string) => `token:${tokenId}`.slice(0, 256);

/** The hibernatable WebSockets of one Durable Object and the broadcast to them. */
export class LiveChannel {
  constructor(private readonly ctx: DurableObjectState) {}

  /** Accepts a watcher: the first message is `first` (the snapshot), then every broadcast. */
  accept(first: LiveMessage, tokenId?: string): Response {
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server, tokenId ? [SOCKET_TAG, tokenTag(tokenId)] : [SOCKET_TAG]);
    server.send(JSON.stringify(first));
    return new Response(null, { status: 101, webSocket: client, headers: { "sec-websocket-protocol": LIVE_PROTOCOL } });
  }

  /** Whether anyone is watching (building a message is skipped otherwise). */
  get watched(): boolean {
    return this.ctx.getWebSockets(SOCKET_TAG).length > 0;
  }

  /** Closes the watchers opened with these tokens (revoked); returns how many were closed. */
  closeFor(tokenIds: string[]): number {
    let closed = 0;
    for (const id of tokenIds) {
      for (const ws of this.ctx.getWebSockets(tokenTag(id))) {
        try {
          ws.close(TOKEN_REVOKED_CLOSE, "token revoked");
          closed += 1;
        } catch {
          // Already closing.
        }
      }
    }
    return closed;
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

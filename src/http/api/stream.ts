import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { z } from "zod";
import { handleChat } from "../../control/chat";
import type { ChatReply, ChatRequest } from "../../control/chat";
import type { ControlContext } from "../../control/context";
import { findEnv } from "../../db/environments";
import { AppError } from "../../domain/errors";
import type { AppEnv } from "../auth";
import { followRuns, settled } from "../live";
import type { FollowedRun } from "../live";

/** How long one event stream may follow runs before it says goodbye (the caller can reconnect to /live). */
const FOLLOW_LIMIT_MS = 15 * 60_000;

/** Whether the caller asked for the chat's server-sent-event form (API.md "Chat"). */
export function wantsEventStream(c: Context): boolean {
  return /\btext\/event-stream\b/.test(c.req.header("accept") ?? "");
}

/**
 * The chat as server-sent events: `conversation`, one `reply` per reply, `replies-end`, then `run` with
 * every state of the runs the replies started until each ends or waits for a person, then `done`.
 * The message is handled before the stream opens, so its errors keep the JSON error body and status.
 */
export async function streamChat(
  c: Context<AppEnv>,
  cx: ControlContext,
  input: z.infer<typeof ChatRequest>,
): Promise<Response> {
  const result = await handleChat(cx, input, 0);
  const follow = await runsToFollow(cx, result.replies);
  return streamSSE(
    c,
    async (stream) => {
      const stop = new AbortController();
      stream.onAbort(() => stop.abort());
      const limit = setTimeout(() => stop.abort(), FOLLOW_LIMIT_MS);
      try {
        await stream.writeSSE({
          event: "conversation",
          data: JSON.stringify({ conversationId: result.conversationId }),
        });
        for (const reply of result.replies) await stream.writeSSE({ event: "reply", data: JSON.stringify(reply) });
        await stream.writeSSE({
          event: "replies-end",
          data: JSON.stringify({ count: result.replies.length, following: follow.map((r) => r.id) }),
        });
        await followRuns(
          cx,
          follow,
          (run) => stream.writeSSE({ event: "run", data: JSON.stringify(run) }),
          stop.signal,
        );
        await stream.writeSSE({
          event: "done",
          data: JSON.stringify({ timedOut: stop.signal.aborted && !stream.aborted }),
        });
      } finally {
        clearTimeout(limit);
      }
    },
    async (err, stream) => {
      const revoked = err instanceof AppError && err.code === "unauthorized";
      if (!revoked) console.error("chat stream failed", err.message);
      await stream.writeSSE({
        event: "error",
        data: JSON.stringify({
          error: revoked
            ? { code: "unauthorized", message: err.message }
            : { code: "internal", message: 'the live feed broke off; ask "status" to catch up' },
        }),
      });
    },
  );
}

async function runsToFollow(cx: ControlContext, replies: ChatReply[]): Promise<FollowedRun[]> {
  const runs = replies.flatMap((r) => (r.run && !settled(r.run) ? [r.run] : []));
  const followed: FollowedRun[] = [];
  for (const run of runs) {
    if (followed.some((f) => f.id === run.id)) continue;
    followed.push({ id: run.id, env: run.env, envId: (await findEnv(cx.db, run.env)).id });
  }
  return followed;
}

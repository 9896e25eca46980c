import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { runLogs } from "../../control/runs";
import { tokenRevoked } from "../../db/users";
import { isTerminal } from "../../domain/run";
import type { AppEnv } from "../auth";
import { wantsEventStream } from "./stream";

/** How often a log stream asks for new lines, and how long it may stay open. */
const POLL_MS = 2000;
const STREAM_LIMIT_MS = 30 * 60_000;

/**
 * GET /api/runs/:id/logs: the deployment logs of a run's steps. With `Accept: text/event-stream` the
 * logs stream (`logs` whenever they change, then `done` once the run has ended and every step's logs are
 * final). The stream checks its token every second: a revoked token ends it within a second.
 */
export const logRoutes = new Hono<AppEnv>().get("/runs/:id/logs", async (c) => {
  const { cx } = c.var;
  const runId = c.req.param("id");
  const first = await runLogs(cx, runId);
  if (!wantsEventStream(c)) return c.json(first);
  return streamSSE(c, async (stream) => {
    let last = "";
    const started = Date.now();
    let logs = first;
    for (let tick = 0; !stream.aborted && Date.now() - started < STREAM_LIMIT_MS; tick++) {
      if (cx.tokenId && (await tokenRevoked(cx.db, cx.tokenId))) {
        await stream.writeSSE({
          event: "error",
          data: JSON.stringify({ error: { code: "unauthorized", message: "the token was revoked" } }),
        });
        return;
      }
      if (tick % (POLL_MS / 1000) === 0) {
        if (tick > 0) logs = await runLogs(cx, runId);
        const text = JSON.stringify(logs);
        if (text !== last) await stream.writeSSE({ event: "logs", data: text });
        last = text;
        if (isTerminal(logs.status) && logs.steps.every((s) => s.final)) {
          await stream.writeSSE({ event: "done", data: "{}" });
          return;
        }
      }
      await stream.sleep(1000);
    }
  });
});

import { Hono } from "hono";
import { ChatRequest, handleChat } from "../../control/chat";
import type { AppEnv } from "../auth";
import { readJson } from "../errors";
import { streamChat, wantsEventStream } from "./stream";

/** POST /api/chat (API.md "Chat"); with `Accept: text/event-stream` the replies and run progress stream. */
export const chatRoutes = new Hono<AppEnv>().post("/chat", async (c) => {
  const { cx } = c.var;
  const input = await readJson(c, ChatRequest);
  if (wantsEventStream(c)) return streamChat(c, cx, input);
  return c.json(await handleChat(cx, input));
});

import { Hono } from "hono";
import { ChatRequest, handleChat } from "../../control/chat";
import { InterpretRequest, interpretMessage } from "../../control/chat-interpret";
import type { AppEnv } from "../auth";
import { readJson } from "../errors";
import { streamChat, wantsEventStream } from "./stream";

/** POST /api/chat (API.md "Chat"); with `Accept: text/event-stream` the replies and run progress stream. */
export const chatRoutes = new Hono<AppEnv>()
  .post("/chat", async (c) => {
    const { cx } = c.var;
    const input = await readJson(c, ChatRequest);
    if (wantsEventStream(c)) return streamChat(c, cx, input);
    return c.json(await handleChat(cx, input));
  })
  /** How chat reads a message (intents, question, refusal or fallback) without acting on it; admin. */
  .post("/chat/interpret", async (c) => c.json(await interpretMessage(c.var.cx, await readJson(c, InterpretRequest))));

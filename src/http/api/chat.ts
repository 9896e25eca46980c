import { Hono } from "hono";
import { ChatRequest, handleChat } from "../../control/chat";
import { controlContext } from "../../control/context";
import type { AppEnv } from "../auth";
import { readJson } from "../errors";

/** POST /api/chat (API.md "Chat"). */
export const chatRoutes = new Hono<AppEnv>()
  .post("/chat", async (c) => c.json(await handleChat(controlContext(c.env, c.get("actor")), await readJson(c, ChatRequest))));

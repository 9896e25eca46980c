/**
 * How chat reads a message, without acting on it: POST /api/chat/interpret (admin). The language eval
 * (npm run eval:chat) runs against it; nothing is planned, stored or sent, and no secret value is returned.
 */
import { z } from "zod";
import { continueRequest, PendingRequest, type Understanding, understand } from "../chat/language/understand";
import { requireRole } from "../security/roles";
import type { ControlContext } from "./context";
import { languageContext } from "./language-context";

export const InterpretRequest = z
  .object({
    message: z.string().trim().min(1).max(4000),
    /** the project whose names the message is read against (default: the oldest project) */
    project: z.string().max(100).optional(),
    /** a question's pending request: the message is read as its answer */
    pending: PendingRequest.optional(),
  })
  .strict();

/** The reading of one message, and the names it was read against. */
export async function interpretMessage(cx: ControlContext, input: z.infer<typeof InterpretRequest>) {
  requireRole(cx.actor.role, "inspect-chat");
  const context = await languageContext(cx, input.project);
  const understanding = input.pending
    ? continueRequest(input.pending, input.message, context)
    : understand(input.message, context);
  return {
    understanding: withoutSecretValues(understanding),
    context: {
      project: context.project,
      envs: context.envs,
      services: context.services,
      jobs: context.jobs,
      secretNames: context.secretNames ?? [],
    },
  };
}

/** Pending secrets by reference only: their values exist to be stored, never to be shown. */
function withoutSecretValues(understanding: Understanding) {
  if (understanding.kind !== "intents" && understanding.kind !== "question") return understanding;
  return { ...understanding, secrets: understanding.secrets.map(({ ref, name }) => (name ? { ref, name } : { ref })) };
}

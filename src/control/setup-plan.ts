/** Reads what a fresh setup plan needs beyond the spec (project name, connection settings) and calls the planner. */
import { z } from "zod";
import { findEnv } from "../db/environments";
import { connectionOf } from "../db/connections";
import { AppError } from "../domain/errors";
import type { EnvironmentSpec } from "../domain/spec";
import type { PinnedRef, PlanInput, PlanOutput } from "../plan/deploy";
import { deployOrder } from "../plan/deploy";
import { apiHostname, planProvision } from "../plan/setup";
import type { ControlContext } from "./context";
import { railwayConnection } from "./railway-settings";

/** The project-level SendGrid settings the setup conversation records (metadata of the sendgrid connection). */
const SendGridSettings = z.object({ senderDomain: z.string().min(1).optional() }).loose();

/**
 * Plans `setup` with `fresh: true`: Railway environments pin each service's branch head; Stripe is wired
 * where the spec uses it (the api's public hostname receives the webhooks), SendGrid's domain where the
 * spec uses it and a sender domain was given — never for local, whose mail goes to a sink.
 */
export async function planFreshSetup(
  cx: ControlContext,
  base: Omit<PlanInput, "refs">,
  pin: (spec: EnvironmentSpec, services: string[]) => Promise<Record<string, PinnedRef>>,
): Promise<PlanOutput> {
  const row = await findEnv(cx.db, base.env);
  const { spec } = base;
  const refs = spec.connections.includes("railway") ? await pin(spec, deployOrder(spec)) : {};
  const host = apiHostname(spec, row.projectSlug, row.name);
  const sendgrid = await connectionOf(cx.db, row.projectId, "sendgrid");
  const railway = await railwayConnection(cx, row.projectId);
  const senderDomain = SendGridSettings.safeParse(sendgrid?.metadata ?? {}).data?.senderDomain ?? null;
  const result = planProvision(
    { ...base, refs },
    {
      projectName: row.projectName,
      ...(railway.metadata.workspaceId ? { workspaceId: railway.metadata.workspaceId } : {}),
      stripeWebhookUrl: spec.connections.includes("stripe") && host ? `https://${host}/webhooks/stripe` : null,
      senderDomain: spec.connections.includes("sendgrid") && row.name !== "local" ? senderDomain : null,
    },
  );
  if ("error" in result) throw new AppError("conflict", result.error);
  return result;
}

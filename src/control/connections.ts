import { eq } from "drizzle-orm";
import { listEnvs } from "../db/environments";
import { connections } from "../db/schema";
import { resolveSecret } from "../db/secrets";
import { createSendGridApi } from "../providers/sendgrid/adapter";
import { createStripeApi } from "../providers/stripe/adapter";
import { createCloudflareApi } from "../providers/cloudflare/adapter";
import type { ProviderContext } from "../providers/types";
import { requireRole } from "../security/roles";
import { buildProviders, isSandbox, providerFetch, secretCipher } from "../wiring";
import { recordGlobal } from "./audit";
import type { ControlContext } from "./context";
import { findProject } from "./environments";
import { errorText } from "../domain/errors";

type Status = "unconfigured" | "pending-auth" | "configured" | "verified";
interface Check {
  status: Status;
  metadata: Record<string, unknown>;
}

/** What setup steps and the setup conversation recorded on a connection; a check keeps it. */
const KEPT_METADATA = ["environments", "senderDomain"];

/**
 * Moves each provider connection along unconfigured → pending-auth → configured → verified: asked-for but
 * missing credentials stay pending-auth, credentials present make it configured, and only a real
 * authenticated read call (answered by the sandbox under SANDBOX=1) makes it verified. Failures keep it
 * configured and say why. Stripe is checked with every environment's key (test or live mode each).
 */
export async function verifyConnections(cx: ControlContext, projectRef: string) {
  requireRole(cx.actor.role, "manage-environments");
  const project = await findProject(cx, projectRef);
  const envs = await listEnvs(cx.db, project.id);
  const bound = envs.find((e) => e.bindings.railway) ?? null;
  const keyEnv = envs.find((e) => e.name === "staging") ?? bound ?? envs[0];
  const providers = buildProviders(cx.env, () => undefined);
  const ctx: ProviderContext = { fetch: providerFetch(cx.env) };
  const secret = async (name: string) => (keyEnv ? resolveSecret(cx.db, secretCipher(cx.env), keyEnv.id, name) : null);
  const before = new Map(
    (await cx.db.select().from(connections).where(eq(connections.projectId, project.id))).map((r) => [r.provider, r]),
  );
  const keyed = async (key: string | null, provider: string, check: (key: string) => Promise<Check>): Promise<Check> =>
    key
      ? check(key)
      : { status: before.get(provider)?.status === "pending-auth" ? "pending-auth" : "unconfigured", metadata: {} };
  const stripeKeys = (
    await Promise.all(
      envs.map(
        async (e) => [e.name, await resolveSecret(cx.db, secretCipher(cx.env), e.id, "STRIPE_SECRET_KEY")] as const,
      ),
    )
  ).filter((entry): entry is readonly [string, string] => entry[1] !== null);
  const attempt = async (read: () => Promise<Record<string, unknown>>): Promise<Check> => {
    try {
      return { status: "verified", metadata: await read() };
    } catch (e) {
      return { status: "configured", metadata: { error: errorText(e).slice(0, 300) } };
    }
  };
  const checks: Record<string, Check> = {
    railway:
      cx.env.RAILWAY_TOKEN || isSandbox(cx.env)
        ? await attempt(async () => {
            const seen = await providers.railway.listProjects();
            const projectId = bound?.bindings.railway?.projectId;
            if (projectId && !seen.some((p) => p.id === projectId))
              throw new Error(`the token cannot see Railway project ${projectId}`);
            return { projects: seen.length, projectId: projectId ?? null };
          })
        : { status: "unconfigured", metadata: {} },
    cloudflare:
      cx.env.CLOUDFLARE_API_TOKEN || isSandbox(cx.env)
        ? await attempt(async () => {
            const api = createCloudflareApi(ctx, { token: cx.env.CLOUDFLARE_API_TOKEN ?? "sandbox-cloudflare-token" });
            const token = await api.verifyToken();
            if (token.status !== "active") throw new Error(`the Cloudflare token is ${token.status}`);
            const zone = bound?.bindings.cloudflare;
            if (!zone) return { token: "active", zone: null };
            const zones = await api.listZones(zone.zoneName);
            if (!zones.some((z) => z.id === zone.zoneId)) throw new Error(`the token cannot see zone ${zone.zoneName}`);
            return { token: "active", zoneId: zone.zoneId, zoneName: zone.zoneName };
          })
        : { status: "unconfigured", metadata: {} },
    twilio: providers.sms
      ? {
          status: "configured",
          metadata: { note: "sending is configured; Twilio offers no side-effect-free check we use" },
        }
      : { status: "unconfigured", metadata: {} },
    stripe: await keyed(stripeKeys[0]?.[1] ?? null, "stripe", () =>
      attempt(async () => {
        const modes: Record<string, string> = {};
        for (const [name, key] of stripeKeys)
          modes[name] = (await createStripeApi(ctx, { secretKey: key }).verify()).livemode ? "live" : "test";
        return { modes };
      }),
    ),
    sendgrid: await keyed(await secret("SENDGRID_API_KEY"), "sendgrid", (key) =>
      attempt(async () => ({ scopes: ((await createSendGridApi(ctx, { apiKey: key }).verify()).scopes ?? []).length })),
    ),
  };
  const now = new Date(cx.now()).toISOString();
  await cx.db.batch(
    Object.entries(checks).map(([provider, c]) => {
      const previous = (before.get(provider)?.metadata ?? {}) as Record<string, unknown>;
      const metadata = {
        ...Object.fromEntries(KEPT_METADATA.filter((k) => k in previous).map((k) => [k, previous[k]])),
        ...c.metadata,
        checkedAt: now,
      };
      return cx.db
        .insert(connections)
        .values({ projectId: project.id, provider, status: c.status, metadata, updatedAt: now })
        .onConflictDoUpdate({
          target: [connections.projectId, connections.provider],
          set: { status: c.status, metadata, updatedAt: now },
        });
    }) as [never],
  );
  await recordGlobal(cx.env, [
    {
      actor: cx.actor.id,
      action: "connections.verified",
      details: Object.fromEntries(Object.entries(checks).map(([p, c]) => [p, c.status])),
    },
  ]);
  const rows = await cx.db
    .select()
    .from(connections)
    .where(eq(connections.projectId, project.id))
    .orderBy(connections.provider);
  return rows.map((r) => ({ provider: r.provider, status: r.status, metadata: r.metadata }));
}

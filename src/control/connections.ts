import { listEnvs } from "../db/environments";
import { connectionsOf, saveConnections } from "../db/connections";
import { UnreadableSecretError, resolveSecret } from "../db/secrets";
import { requireRole } from "../security/roles";
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
const KEPT_METADATA = ["environments", "senderDomain", "plan", "workspaceId"];

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
  const providers = cx.providers();
  const { cloudflare } = providers.connections;
  // An unreadable key leaves its provider "configured" with the reason, and the other checks go on.
  const unreadable = new Map<string, string>();
  const readable = (envId: string, name: string) =>
    resolveSecret(cx.db, cx.cipher, envId, name).catch((e: unknown) => {
      if (!(e instanceof UnreadableSecretError)) throw e;
      unreadable.set(name, e.message);
      return null;
    });
  const secret = async (name: string) => (keyEnv ? readable(keyEnv.id, name) : null);
  const before = new Map((await connectionsOf(cx.db, project.id)).map((r) => [r.provider, r]));
  const keyed = async (
    key: string | null,
    provider: string,
    check: (key: string) => Promise<Check>,
    keyName: string,
  ): Promise<Check> => {
    const problem = unreadable.get(keyName);
    if (problem) return { status: "configured", metadata: { error: problem.slice(0, 300) } };
    return key
      ? check(key)
      : { status: before.get(provider)?.status === "pending-auth" ? "pending-auth" : "unconfigured", metadata: {} };
  };
  const stripeKeys = (
    await Promise.all(envs.map(async (e) => [e.name, await readable(e.id, "STRIPE_SECRET_KEY")] as const))
  ).filter((entry): entry is readonly [string, string] => entry[1] !== null);
  const attempt = async (read: () => Promise<Record<string, unknown>>): Promise<Check> => {
    try {
      return { status: "verified", metadata: await read() };
    } catch (e) {
      return {
        status: "configured",
        metadata: { error: errorText(e).slice(0, 500), ...(e instanceof TokenRefused ? { tokenKind: e.kind } : {}) },
      };
    }
  };
  const checks: Record<string, Check> = {
    railway: cx.configured.railway
      ? await attempt(async () => {
          // Setup lists and creates projects, which only an account or workspace token may do.
          const token = await providers.railway.tokenKind();
          if (token.kind === "project")
            throw new TokenRefused(
              "project",
              `RAILWAY_API_TOKEN is a project token (it reaches only environment ${token.environmentId} of project ${token.projectId}, and cannot list or create projects): create an account or workspace token in Railway's account settings and set it as RAILWAY_API_TOKEN`,
            );
          if (token.kind === "invalid")
            throw new TokenRefused("invalid", `RAILWAY_API_TOKEN does not work: ${token.message}`);
          const seen = await providers.railway.listProjects();
          const projectId = bound?.bindings.railway?.projectId;
          if (projectId && !seen.some((p) => p.id === projectId))
            throw new Error(`the token cannot see Railway project ${projectId}`);
          return { tokenKind: "account", projects: seen.length, projectId: projectId ?? null };
        })
      : { status: "unconfigured", metadata: {} },
    cloudflare: cloudflare
      ? await attempt(async () => {
          const token = await cloudflare.verifyToken();
          if (token.status !== "active") throw new Error(`the Cloudflare token is ${token.status}`);
          const zone = bound?.bindings.cloudflare;
          if (!zone) return { token: "active", zone: null };
          const zones = await cloudflare.listZones(zone.zoneName);
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
    stripe: await keyed(
      stripeKeys[0]?.[1] ?? null,
      "stripe",
      () =>
        attempt(async () => {
          const modes: Record<string, string> = {};
          for (const [name, key] of stripeKeys)
            modes[name] = (await providers.connections.stripe(key).verify()).livemode ? "live" : "test";
          return { modes };
        }),
      "STRIPE_SECRET_KEY",
    ),
    sendgrid: await keyed(
      await secret("SENDGRID_API_KEY"),
      "sendgrid",
      (key) =>
        attempt(async () => ({ scopes: ((await providers.connections.sendgrid(key).verify()).scopes ?? []).length })),
      "SENDGRID_API_KEY",
    ),
  };
  const now = new Date(cx.now()).toISOString();
  await saveConnections(
    cx.db,
    project.id,
    Object.entries(checks).map(([provider, c]) => {
      const previous = (before.get(provider)?.metadata ?? {}) as Record<string, unknown>;
      const metadata = {
        ...Object.fromEntries(KEPT_METADATA.filter((k) => k in previous).map((k) => [k, previous[k]])),
        ...c.metadata,
        checkedAt: now,
      };
      return { provider, status: c.status, metadata };
    }),
    now,
  );
  await recordGlobal(cx, [
    {
      actor: cx.actor.id,
      action: "connections.verified",
      details: Object.fromEntries(Object.entries(checks).map(([p, c]) => [p, c.status])),
    },
  ]);
  const rows = await connectionsOf(cx.db, project.id);
  return rows.map((r) => ({ provider: r.provider, status: r.status, metadata: r.metadata }));
}

/** A token the connection check refuses for what it is (kept in the connection's metadata as `tokenKind`). */
class TokenRefused extends Error {
  constructor(
    readonly kind: "project" | "invalid",
    message: string,
  ) {
    super(message);
  }
}

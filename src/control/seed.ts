import { bindRelease, listEnvs } from "../db/environments";
import { projectBySlug } from "../db/projects";
import { tokenByHash } from "../db/users";
import { verifyConnections } from "./connections";
import { putSecret } from "../db/secrets";
import { newId } from "../domain/ids";
import { invoicePerfectSpec } from "../domain/template";
import type { Actor } from "../policy/approval";
import type { SandboxSeed } from "../sandbox/types";
import { hashToken } from "../security/tokens";
import { recordForEnv } from "./audit";
import type { ControlContext } from "./context";
import { controlContext } from "./context";
import type { Services } from "./services";
import { createProject, insertEnvironment } from "./environments";
import { insertUserWithToken } from "./users";

const SEED_ACTOR: Actor = { id: "seed", name: "seed", role: "admin" };
export const SEED_ADMIN_PHONE = "+15550000001";

/**
 * Seeds what API.md "Seed" describes, idempotently: the local admin, project invoice-perfect with
 * local/staging/production from the template, and — in the sandbox world — staging and production
 * already live at release v1, bound to the sandbox's Railway ids.
 */
export async function seedInvoicePerfect(
  services: Services,
  sandbox: { seedInvoicePerfect(): Promise<SandboxSeed> },
): Promise<{ project: string; environments: string[] }> {
  const { db, adminToken } = services;
  const cx = controlContext(services, SEED_ACTOR);
  const now = new Date().toISOString();
  if (adminToken) {
    const known = await tokenByHash(db, await hashToken(adminToken));
    if (!known)
      await insertUserWithToken(db, { name: "Local admin", role: "admin", phone: SEED_ADMIN_PHONE }, now, adminToken);
  }
  let project = await projectBySlug(db, "invoice-perfect");
  project ??= await createProject(cx, { name: "Invoice Perfect", template: "invoice-perfect" });
  const existing = new Set((await listEnvs(db, project.id)).map((e) => e.name));
  for (const name of ["local", "staging", "production"]) {
    if (existing.has(name)) continue;
    const spec = invoicePerfectSpec(name);
    if (name !== "local") spec.policies.notify = [SEED_ADMIN_PHONE];
    await insertEnvironment(cx, project.id, name, spec, null, "seeded from the Invoice Perfect template");
  }
  const world = await sandbox.seedInvoicePerfect();
  for (const env_ of await listEnvs(db, project.id)) {
    if (env_.name !== "staging" && env_.name !== "production") continue;
    if (env_.currentReleaseId) continue;
    await bindLiveRelease(cx, env_.id, env_.name, world);
  }
  // Statuses come from real read calls against the sandbox world, not from the seed's say-so.
  await verifyConnections(cx, project.slug);
  return { project: project.slug, environments: ["local", "staging", "production"] };
}

async function bindLiveRelease(
  cx: ControlContext,
  envId: string,
  name: "staging" | "production",
  world: SandboxSeed,
): Promise<void> {
  const now = new Date().toISOString();
  const live = world.live[name];
  const release = {
    id: newId("rel"),
    version: "v1",
    runId: null,
    createdAt: now,
    services: Object.fromEntries(
      (["api", "web", "cron"] as const).map((s) => [
        s,
        { commitSha: live[s].commitSha, commitMessage: "v1", deploymentId: live[s].deploymentId },
      ]),
    ),
  };
  const bindings = {
    railway: {
      projectId: world.railway.projectId,
      environmentId: world.railway.environments[name],
      services: { ...world.railway.services },
    },
    cloudflare: world.cloudflare,
  };
  await bindRelease(cx.db, envId, release, bindings, now);
  const { cipher } = cx;
  const random = () =>
    [...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, "0")).join("");
  await putSecret(cx.db, cipher, envId, "STRIPE_SECRET_KEY", `sk_test_sandbox${random()}`, now);
  await putSecret(cx.db, cipher, envId, "SENDGRID_API_KEY", `SG.sandbox${random()}`, now);
  await recordForEnv(cx, envId, [
    {
      actor: SEED_ACTOR.id,
      action: "environment.seeded",
      details: { release: "v1", railwayEnvironmentId: bindings.railway.environmentId },
    },
  ]);
}

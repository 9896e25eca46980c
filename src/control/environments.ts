import { z } from "zod";
import { AppError } from "../domain/errors";
import { newId } from "../domain/ids";
import { EnvironmentSpec, diffSpecs } from "../domain/spec";
import { invoicePerfectSpec } from "../domain/template";
import {
  findEnv,
  insertEnvironmentRow,
  listEnvs,
  listReleases,
  revisionSpecs,
  revisions,
  specAt,
} from "../db/environments";
import { insertProject, projectByRef, projectBySlug, projectsWithEnvironment } from "../db/projects";
import { runsInStatus } from "../db/runs";
import { STAGED, listSecrets, putSecret } from "../db/secrets";
import { requireRole } from "../security/roles";
import { classifyStripeKey, stripeKeyRefusal } from "../providers/stripe/keys";
import type { ControlContext } from "./context";
import { recordForEnv, recordGlobal } from "./audit";
import { maskedPhone, seesPhones } from "./users";

export const CreateProject = z
  .object({ name: z.string().trim().min(1).max(100), template: z.enum(["invoice-perfect"]).optional() })
  .strict();
export const CreateEnvironment = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "lowercase letters, digits and dashes"),
    from: z.string().optional(),
    overrides: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export const PutSecret = z.object({ value: z.string().min(1).max(8192) }).strict();
export const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

const slugify = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 40) || "project";

/** Finds a project by id or slug; 404 otherwise. */
export async function findProject(cx: ControlContext, ref: string) {
  const project = await projectByRef(cx.db, ref);
  if (!project) throw new AppError("not_found", `project ${ref} not found`);
  return project;
}

/** Creates a project (slug from the name; 409 when taken). */
export async function createProject(cx: ControlContext, input: z.infer<typeof CreateProject>) {
  requireRole(cx.actor.role, "manage-environments");
  const slug = slugify(input.name);
  if (await projectBySlug(cx.db, slug)) throw new AppError("conflict", `project ${slug} exists`);
  const now = new Date(cx.now()).toISOString();
  const project = { id: newId("prj"), slug, name: input.name, template: input.template ?? null, createdAt: now };
  await insertProject(cx.db, project, ["railway", "cloudflare", "stripe", "sendgrid", "twilio"]);
  await recordGlobal(cx, [{ actor: cx.actor.id, action: "project.created", details: { projectId: project.id, slug } }]);
  return project;
}

/** Creates an environment's desired state: from the template, or copied from another with overrides. */
export async function createEnvironment(
  cx: ControlContext,
  projectRef: string,
  input: z.infer<typeof CreateEnvironment>,
) {
  requireRole(cx.actor.role, "manage-environments");
  const project = await findProject(cx, projectRef);
  const existing = await listEnvs(cx.db, project.id);
  if (existing.some((e) => e.name === input.name))
    throw new AppError("conflict", `${project.slug}:${input.name} exists`);
  let base: unknown;
  if (input.from) {
    const from = existing.find((e) => e.name === input.from);
    if (!from) throw new AppError("not_found", `environment ${project.slug}:${input.from} not found`);
    base = (await specAt(cx.db, from.id)).spec;
  } else if (project.template === "invoice-perfect") base = invoicePerfectSpec(input.name);
  else throw new AppError("invalid_request", "a project without a template needs `from` (an environment to copy)");
  // Copying an environment keeps its shape; what makes the copy *this* environment (domains, scaling,
  // policies) comes from the template when the project has one, then from the caller's overrides.
  const roleOverrides =
    input.from && project.template === "invoice-perfect"
      ? environmentRoleOverrides(invoicePerfectSpec(input.name), base as EnvironmentSpec)
      : {};
  // A public hostname belongs to one environment (Railway serves a custom domain from one service): a copy
  // starts without the source's, and gets its own from the template's role or the overrides.
  const own = input.from ? { ...(base as EnvironmentSpec), domains: {} } : base;
  const parsed = EnvironmentSpec.safeParse(deepMerge(deepMerge(own, roleOverrides), input.overrides ?? {}));
  if (!parsed.success)
    throw new AppError("invalid_request", "the overrides make an invalid environment spec", parsed.error.issues);
  const diff = diffSpecs(base, parsed.data);
  const env = await insertEnvironment(
    cx,
    project.id,
    input.name,
    parsed.data,
    input.from ?? null,
    input.from ? `created from ${input.from}` : "created from template",
  );
  await recordForEnv(cx, env.id, [
    {
      actor: cx.actor.id,
      action: "environment.created",
      diffSummary: diff
        .map((c) => `${c.op} ${c.path}`)
        .join("; ")
        .slice(0, 1000),
      details: { baseEnv: input.from ?? null },
    },
  ]);
  return { ...(await envView(cx, `${project.slug}:${input.name}`)), diff };
}

/** The parts of a template environment that are about its role, not its shape: domains, scaling, policies. */
export function environmentRoleOverrides(role: EnvironmentSpec, base: EnvironmentSpec): Record<string, unknown> {
  const shared = <T>(ours: Record<string, T>, theirs: Record<string, unknown>) =>
    Object.entries(ours).filter(([name]) => name in theirs);
  return {
    domains: role.domains,
    policies: role.policies,
    services: Object.fromEntries(
      shared(role.services, base.services).map(([name, s]) => [name, { replicas: s.replicas }]),
    ),
    components: Object.fromEntries(
      shared(role.components, base.components).map(([name, c]) => [name, { size: c.size }]),
    ),
  };
}

/** Inserts an environment and its first spec revision together. */
export async function insertEnvironment(
  cx: ControlContext,
  projectId: string,
  name: string,
  spec: EnvironmentSpec,
  baseEnv: string | null,
  reason: string,
) {
  const now = new Date(cx.now()).toISOString();
  const env = {
    id: newId("env"),
    projectId,
    name,
    revision: 1,
    baseEnv,
    bindings: {},
    currentReleaseId: null,
    createdAt: now,
    updatedAt: now,
  };
  await insertEnvironmentRow(cx.db, env, { spec, author: cx.actor.id, reason });
  return env;
}

/** The API view of an environment. */
export async function envView(cx: ControlContext, ref: string) {
  requireRole(cx.actor.role, "read");
  const row = await findEnv(cx.db, ref);
  const { spec } = await specAt(cx.db, row.id);
  const current = (await listReleases(cx.db, row.id)).find((r) => r.id === row.currentReleaseId) ?? null;
  const active = await runsInStatus(cx.db, row.id, ["queued", "awaiting-approval", "running", "stopped"], 5);
  return {
    id: row.id,
    env: row.env,
    name: row.name,
    revision: row.revision,
    baseEnv: row.baseEnv,
    spec: seesPhones(cx.actor.role) ? spec : withMaskedPhones(spec),
    bindings: row.bindings,
    currentRelease: current
      ? { id: current.id, version: current.version, services: current.services, createdAt: current.createdAt }
      : null,
    activeRun: active.find((r) => r.status === "running") ?? active[0] ?? null,
    monitoring: row.bindings.railway ? await monitoringOf(cx, row.id) : null,
  };
}

/** Whether monitoring is held back by Railway's request budget, and what that budget has left. */
async function monitoringOf(cx: ControlContext, envId: string) {
  const budget = cx.railwayBudget();
  const [status, view] = await Promise.all([
    cx.environment(envId).monitoringStatus(),
    budget ? budget.view().catch(() => null) : Promise.resolve(null),
  ]);
  return {
    ...status,
    railwayBudget: view && { plan: view.plan, limit: view.limit, remaining: view.remaining, resetsAt: view.resetsAt },
  };
}

/** A spec as a viewer sees it: who gets paged is shown, their numbers are not. */
function withMaskedPhones(spec: EnvironmentSpec): EnvironmentSpec {
  const { policies } = spec;
  return {
    ...spec,
    policies: {
      ...policies,
      notify: policies.notify.map(maskedPhone),
      monitoring: {
        ...policies.monitoring,
        escalation: { ...policies.monitoring.escalation, chain: policies.monitoring.escalation.chain.map(maskedPhone) },
      },
    },
  };
}

/** Environments of a project. */
export async function listEnvironments(cx: ControlContext, projectRef: string) {
  requireRole(cx.actor.role, "read");
  const project = await findProject(cx, projectRef);
  return Promise.all((await listEnvs(cx.db, project.id)).map((e) => envView(cx, e.id)));
}

/** Spec revision history. */
export async function listRevisions(cx: ControlContext, ref: string) {
  requireRole(cx.actor.role, "read");
  const envId = (await findEnv(cx.db, ref)).id;
  // The newest revisions carry what changed since the one before (older ones: ask for that revision).
  const [rows, specs] = await Promise.all([revisions(cx.db, envId), revisionSpecs(cx.db, envId, DIFFED_REVISIONS + 1)]);
  const byRevision = new Map(specs.map((s) => [s.revision, s.spec]));
  return rows.map((r) => {
    const [spec, before] = [byRevision.get(r.revision), byRevision.get(r.revision - 1)];
    return spec && before ? { ...r, changes: diffSpecs(before, spec) } : r;
  });
}

/** How many of the newest revisions list their changes. */
const DIFFED_REVISIONS = 20;

/** Stores a secret encrypted; the value is never returned and never audited. */
export async function setSecret(cx: ControlContext, ref: string, name: string, value: string): Promise<void> {
  requireRole(cx.actor.role, "manage-secrets");
  if (!SECRET_NAME.test(name)) throw new AppError("invalid_request", "secret names are UPPER_SNAKE_CASE", { name });
  const row = await findEnv(cx.db, ref);
  if (name === "STRIPE_SECRET_KEY" || name === "STRIPE_PUBLISHABLE_KEY") {
    const refusal = stripeKeyRefusal(row.name, value);
    // The sandbox has no live Stripe, so test keys stand in everywhere there; live keys stay production-only.
    const sandboxTestKey = cx.sandbox && classifyStripeKey(value).mode === "test";
    if (refusal && !sandboxTestKey) throw new AppError("invalid_request", refusal, { name });
  }
  await putSecret(cx.db, cx.cipher, row.id, name, value, new Date(cx.now()).toISOString());
  await recordForEnv(cx, row.id, [{ actor: cx.actor.id, action: "secret.set", details: { name } }]);
}

/** Stages a new value and plans its rotation (the run swaps it in, redeploys its users, destroys the old one). */
export async function rotateSecret(cx: ControlContext, ref: string, name: string, value: string) {
  requireRole(cx.actor.role, "manage-secrets");
  if (!SECRET_NAME.test(name)) throw new AppError("invalid_request", "secret names are UPPER_SNAKE_CASE", { name });
  const row = await findEnv(cx.db, ref);
  if (!(await listSecrets(cx.db, row.id)).some((s) => s.name === name))
    throw new AppError("not_found", `${row.env} has no secret ${name} to rotate (set it first)`);
  await putSecret(cx.db, cx.cipher, row.id, `${name}${STAGED.next}`, value, new Date(cx.now()).toISOString());
  await recordForEnv(cx, row.id, [{ actor: cx.actor.id, action: "secret.rotation-staged", details: { name } }]);
  return row.env;
}

/** Secret names with their `secretref://` references. */
export async function secretRefs(cx: ControlContext, ref: string) {
  requireRole(cx.actor.role, "read");
  const row = await findEnv(cx.db, ref);
  return (await listSecrets(cx.db, row.id)).map((s) => ({
    name: s.name,
    ref: `secretref://${row.projectSlug}/${row.name}/${s.name}`,
    updatedAt: s.updatedAt,
  }));
}

/** Overrides win; objects merge key by key; arrays and scalars are replaced; null deletes. */
export function deepMerge(base: unknown, overrides: unknown): unknown {
  if (!isObject(base) || !isObject(overrides)) return overrides === undefined ? base : overrides;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null) delete out[k];
    else out[k] = deepMerge(base[k], v);
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** "staging" → "<slug>:staging" for the one project that has it; ask when several do. */
export async function resolveEnvName(cx: ControlContext, name: string): Promise<string> {
  if (name.includes(":")) return name;
  // One query, whatever the number of projects: this sits on the chat → plan path (npm run bench).
  const matches = (await projectsWithEnvironment(cx.db, name)).map((slug) => `${slug}:${name}`);
  if (matches.length === 0) throw new AppError("not_found", `no environment named ${name}`);
  if (matches.length > 1)
    throw new AppError("invalid_request", `several projects have ${name}: say one of ${matches.join(", ")}`);
  return matches[0];
}

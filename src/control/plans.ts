import { z } from "zod";
import { AppError } from "../domain/errors";
import { newId } from "../domain/ids";
import {
  BackfillParams,
  ComponentParams,
  RotateSecretParams,
  SetupParams,
  DeployParams,
  MigrateParams,
  RollbackParams,
  RunType,
} from "../domain/run";
import type { Plan } from "../domain/run";
import type { EnvironmentSpec } from "../domain/spec";
import { findEnv, listReleases, specAt, type EnvRow } from "../db/environments";
import { getPlan, getRun, insertPlan } from "../db/runs";
import { planDigest } from "../plan/digest";
import { deployOrder, planDeploy, planMigrate, planRollback } from "../plan/deploy";
import { planComponent } from "../plan/components";
import { planBackfill } from "../plan/backfill";
import { appliedContracts, appMigrations } from "./migrations";
import { planRotateSecret } from "../plan/secrets";
import { planSetup } from "../plan/setup";
import { planFreshSetup } from "./setup-plan";
import { RemediateParams, planRemediate, planRevertDrift, refusal } from "../plan/remediate";
import { openIncidents } from "../db/incidents";
import type { SpecChange } from "../domain/spec";
import { RemediationAction } from "../domain/monitoring";
import { sql } from "drizzle-orm";
import type { PinnedRef, PlanInput, PlanOutput } from "../plan/deploy";
import { ProviderError } from "../providers/types";
import type { SourceApi } from "../providers/github/api";
import { requireRole } from "../security/roles";
import { unwrap } from "../domain/errors";
import { buildProviders } from "../wiring";
import type { ControlContext } from "./context";
import { environmentObject } from "./context";

export const PlanRequest = z
  .object({
    type: RunType,
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type PlanRequest = z.infer<typeof PlanRequest>;

/**
 * Plans a run: reads desired and observed state, writes nothing outside D1. `remediation` is set only by
 * the monitor, after the environment's monitoring policy decided auto-apply ("auto") or a person ("approval").
 */
export async function createPlan(
  cx: ControlContext,
  envRef: string,
  request: PlanRequest,
  options: { remediation?: "auto" | "approval" } = {},
): Promise<Plan> {
  requireRole(cx.actor.role, "plan");
  const row = await findEnv(cx.db, envRef);
  // Independent reads, in parallel: chat → plan latency is a budgeted figure (npm run bench).
  const [{ revision, spec }, releases] = await Promise.all([specAt(cx.db, row.id), listReleases(cx.db, row.id)]);
  const base = {
    env: row.env,
    spec,
    releases,
    currentRelease: releases.find((r) => r.id === row.currentReleaseId) ?? null,
  };
  const output = await planByType(cx, request, base, row);
  // Deleting a provider resource loses data, and a shrunk database may not hold its data: these always
  // wait for an approver, whatever the policy.
  const destructive = output.steps.some(
    (s) => s.kind === "remove-component" || (s.kind === "resize-component" && s.params.shrinksDatabase === true),
  );
  const now = new Date(cx.now()).toISOString();
  const plan: Plan = {
    id: newId("plan"),
    runId: newId("run"),
    type: output.type,
    env: row.env,
    envId: row.id,
    params: request.params,
    steps: output.steps,
    diff: output.diff,
    risk: output.risk,
    // A rollback returns to a release that already passed its checks; auto-rollback policy pre-authorizes
    // it, and waiting for a second person during an incident is the wrong default.
    requiresApproval: options.remediation
      ? options.remediation === "approval"
      : output.type === "rollback"
        ? false
        : spec.policies.requireApproval || destructive,
    autoApply: options.remediation
      ? options.remediation === "auto"
      : spec.policies.autoApply && !spec.policies.requireApproval && !destructive,
    specRevision: revision,
    createdBy: cx.actor.id,
    createdAt: now,
  };
  // A deferred contract migration is planned now, as its own run that waits for this one (and its soak).
  if (output.followUp) {
    const refs = output.steps.find((s) => s.kind === "resolve-ref")?.params.refs;
    const migrating = Object.keys(spec.services).find((n) => spec.services[n].migrateCommand);
    const sha = migrating ? refs?.[migrating]?.sha : undefined;
    const followUp = await createPlan(cx, envRef, {
      type: output.followUp.type,
      params: { ...(sha ? { ref: sha } : {}), after: plan.runId, soakSeconds: output.followUp.params.soakSeconds },
    });
    plan.followUpPlanId = followUp.id;
  }
  await insertPlan(cx.db, plan, await planDigest(plan));
  return plan;
}

async function planByType(
  cx: ControlContext,
  request: PlanRequest,
  base: Omit<PlanInput, "refs">,
  row: EnvRow,
): Promise<PlanOutput> {
  const parsed = (schema: z.ZodType) => {
    const result = schema.safeParse(request.params);
    if (!result.success) throw new AppError("invalid_request", `invalid ${request.type} params`, result.error.issues);
    return result.data as Record<string, unknown>;
  };
  const source = () => buildProviders(cx.env, () => undefined).source;
  const pinHeads = (spec: EnvironmentSpec, services: string[]) => pinRefs(source(), spec, services);
  switch (request.type) {
    case "deploy": {
      const params = parsed(DeployParams) as DeployParams;
      // Independent reads (the repositories, the app's pending migrations), in parallel: plan latency is budgeted.
      const [refs, migrations] = await Promise.all([
        pinRefs(source(), base.spec, deployOrder(base.spec), params.ref),
        appMigrations(cx, row, base.spec),
      ]);
      return planDeploy({ ...base, refs, canary: params.canary, migrations: migrations ?? undefined });
    }
    case "migrate": {
      const params = parsed(MigrateParams) as z.infer<typeof MigrateParams>;
      const services = Object.keys(base.spec.services).filter((n) => base.spec.services[n].migrateCommand);
      const [refs, migrations] = await Promise.all([
        pinRefs(source(), base.spec, services, params.ref),
        appMigrations(cx, row, base.spec),
      ]);
      const after = params.after ? { runId: params.after, soakSeconds: params.soakSeconds ?? 0 } : undefined;
      return planMigrate(
        { ...base, refs, migrations: migrations ?? undefined },
        { after, expandOnly: params.expandOnly },
      );
    }
    case "backfill": {
      const params = parsed(BackfillParams) as BackfillParams;
      await requireStagingFirst(cx, base.env, params);
      return planBackfill(base, params);
    }
    case "setup": {
      const { from, fresh } = parsed(SetupParams) as { from?: string; fresh?: boolean };
      if (fresh) return planFreshSetup(cx, base, pinHeads);
      const [slug, name] = base.env.split(":");
      // A setup that stopped half-way (e.g. at preflight) may run again; a provisioned, released one may not.
      if (row.bindings.railway && row.currentReleaseId)
        throw new AppError("conflict", `${base.env} is already provisioned: deploy it instead`);
      const sourceName = from ?? row.baseEnv ?? "staging";
      if (sourceName === name) throw new AppError("invalid_request", "an environment cannot be set up from itself");
      const source = await findEnv(cx.db, `${slug}:${sourceName}`);
      const sourceReleases = await listReleases(cx.db, source.id);
      const result = planSetup(base, {
        name: source.env,
        bindings: source.bindings,
        release: sourceReleases.find((r) => r.id === source.currentReleaseId) ?? null,
      });
      if ("error" in result) throw new AppError("conflict", result.error);
      return result;
    }
    case "rotate-secret": {
      const { name } = parsed(RotateSecretParams) as { name: string };
      const result = planRotateSecret(base, name);
      if ("error" in result) throw new AppError("conflict", result.error);
      return result;
    }
    case "reconcile": {
      if (request.params.action === "revert-drift") {
        const drift = (await openIncidents(cx.db, row.id)).find((i) => i.kind === "drift");
        if (!drift) throw new AppError("conflict", `no drift is open for ${base.env}`);
        const result = planRevertDrift(
          base,
          (drift.details as { evidence?: { changes?: SpecChange[] } }).evidence?.changes ?? [],
        );
        if ("error" in result) throw new AppError("conflict", result.error);
        return result;
      }
      const result = planComponent(base, parsed(ComponentParams) as ComponentParams);
      if ("error" in result) throw new AppError("conflict", result.error);
      return result;
    }
    case "remediate": {
      const action = String(request.params.action ?? "");
      if (!(RemediationAction.options as string[]).includes(action))
        throw new AppError("invalid_request", refusal(action || "(no action)"), { allowed: RemediationAction.options });
      const result = planRemediate(base, parsed(RemediateParams) as RemediateParams);
      if ("error" in result) throw new AppError("conflict", result.error);
      return result;
    }
    case "rollback": {
      const params = parsed(RollbackParams) as { toRelease?: string };
      const contracts = await appliedContracts(cx, row.id);
      const result = planRollback({ ...base, refs: {}, contracts }, params.toRelease);
      if ("error" in result) throw new AppError("conflict", result.error);
      return result;
    }
    default:
      throw new AppError("invalid_request", `run type "${request.type}" is not available yet`, {
        available: ["deploy", "migrate", "rollback", "reconcile", "backfill", "rotate-secret", "setup", "remediate"],
      });
  }
}

/** Resolves each service's ref (default: its branch head) to a commit, so the plan pins exact code. */
async function pinRefs(
  source: SourceApi,
  spec: EnvironmentSpec,
  services: string[],
  ref?: string,
): Promise<Record<string, PinnedRef>> {
  // Services of one repository (a monorepo) share a lookup: one request per repository and ref.
  const lookups = new Map<string, ReturnType<SourceApi["resolveRef"]>>();
  const resolve = (repo: string, wanted: string) => {
    const key = `${repo}@${wanted}`;
    if (!lookups.has(key)) lookups.set(key, source.resolveRef(repo, wanted));
    return lookups.get(key)!;
  };
  const entries = await Promise.all(
    services.map(async (name) => {
      const { repo, branch } = spec.services[name].source;
      const wanted = ref ?? branch;
      try {
        const commit = await resolve(repo, wanted);
        const pinned: PinnedRef = { repo, ref: wanted, sha: commit.sha, message: commit.message.split("\n")[0] };
        return [name, pinned] as const;
      } catch (e) {
        if (e instanceof ProviderError && !e.retryable)
          throw new AppError("invalid_request", `ref "${wanted}" not found in ${repo}`, { service: name });
        throw e;
      }
    }),
  );
  return Object.fromEntries(entries);
}

/** Applies a plan once: hands it to the environment's Durable Object, which queues or starts it. */
export async function applyPlan(cx: ControlContext, planId: string) {
  requireRole(cx.actor.role, "apply");
  const { plan } = await getPlan(cx.db, planId);
  const { run } = await getRun(cx.db, plan.runId);
  if (run.status !== "planned")
    throw new AppError("conflict", `plan ${planId} was already applied (run ${run.id} is ${run.status})`);
  return unwrap(await environmentObject(cx.env, plan.envId).enqueue(plan, cx.actor));
}

/** The plan as the API shows it. */
export { planView as publicPlan } from "../runs/view";

/** A production backfill needs a succeeded staging run of the same job first, unless an admin forces it. */
async function requireStagingFirst(cx: ControlContext, envRef: string, params: BackfillParams): Promise<void> {
  const [slug, name] = envRef.split(":");
  if (name !== "production" || params.dryRun) return;
  if (params.force) {
    requireRole(cx.actor.role, "approve:production");
    return;
  }
  // Chained after a staging run of the same job: its await-run step lets it start only once that succeeded.
  if (params.after) {
    const chained = await cx.db.all<{
      n: number;
    }>(sql`SELECT COUNT(*) AS n FROM runs r JOIN plans p ON p.id = r.plan_id JOIN environments e ON e.id = r.env_id
      JOIN projects pr ON pr.id = e.project_id WHERE r.id = ${params.after} AND pr.slug = ${slug} AND e.name = 'staging' AND r.type = 'backfill'
      AND r.status NOT IN ('failed', 'cancelled', 'rejected', 'rolled-back')
      AND json_extract(p.body, '$.params.job') = ${params.job} AND COALESCE(json_extract(p.body, '$.params.dryRun'), 0) = 0`);
    if (chained[0]?.n) return;
    throw new AppError("conflict", `run ${params.after} is not a live staging run of ${params.job} to wait for`);
  }
  const rows = await cx.db.all<{
    n: number;
  }>(sql`SELECT COUNT(*) AS n FROM runs r JOIN plans p ON p.id = r.plan_id JOIN environments e ON e.id = r.env_id
    JOIN projects pr ON pr.id = e.project_id WHERE pr.slug = ${slug} AND e.name = 'staging' AND r.type = 'backfill' AND r.status = 'succeeded'
    AND json_extract(p.body, '$.params.job') = ${params.job} AND COALESCE(json_extract(p.body, '$.params.dryRun'), 0) = 0`);
  if (!rows[0]?.n)
    throw new AppError(
      "conflict",
      `run ${params.job} on ${slug}:staging successfully first (or an admin can force it)`,
    );
}

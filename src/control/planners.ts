/**
 * One planner per run type, each owning its params schema: the request's params are parsed by it once,
 * and the planner gets them typed. The mapped registry makes a new run type without a planner a compile error.
 */
import { z } from "zod";
import { findEnv, listReleases } from "../db/environments";
import type { EnvRow } from "../db/environments";
import { openIncidents } from "../db/incidents";
import { isLiveStagingBackfill, stagingBackfillSucceeded } from "../db/runs";
import { isProduction, parseEnvRef } from "../domain/env-ref";
import { AppError } from "../domain/errors";
import { RemediationAction } from "../domain/monitoring";
import {
  BackfillParams,
  ComponentParams,
  DeployParams,
  MigrateParams,
  RollbackParams,
  RotateSecretParams,
  SetupParams,
} from "../domain/run";
import type { RunType } from "../domain/run";
import type { EnvironmentSpec } from "../domain/spec";
import { driftChanges } from "../monitor/incidents";
import { planBackfill } from "../plan/backfill";
import { planComponent } from "../plan/components";
import { deployOrder, planDeploy, planMigrate, planRollback, servicesIn } from "../plan/deploy";
import type { PinnedRef, PlanInput, PlanOutput } from "../plan/deploy";
import { RemediateParams, planRemediate, planRevertDrift, refusal } from "../plan/remediate";
import { planRotateSecret } from "../plan/secrets";
import { planSetup } from "../plan/setup";
import type { SourceApi } from "../providers/github/api";
import { ProviderError } from "../providers/types";
import { requireRole } from "../security/roles";
import type { ControlContext } from "./context";
import { appliedContracts, appMigrations } from "./migrations";
import { planFreshSetup } from "./setup-plan";

/** What every planner reads: who asks, the environment, and its desired and released state. */
export interface Planning {
  cx: ControlContext;
  row: EnvRow;
  base: Omit<PlanInput, "refs">;
}

/** A run type's planner: its params schema, and planning from params that passed it. */
export interface RunPlanner {
  params: z.ZodType;
  plan(planning: Planning, params: Record<string, unknown>): Promise<PlanOutput>;
}

/**
 * A planner from its schema and its typed planning function. `refuse` answers params that must be turned
 * down with a reason of their own before the schema's generic one (remediation's bounded set).
 */
function runPlanner<S extends z.ZodType>(
  type: RunType,
  params: S,
  plan: (planning: Planning, params: z.output<S>) => Promise<PlanOutput | { error: string }>,
  refuse?: (raw: Record<string, unknown>) => AppError | null,
): RunPlanner {
  return {
    params,
    async plan(planning, raw) {
      const refused = refuse?.(raw);
      if (refused) throw refused;
      const parsed = params.safeParse(raw);
      if (!parsed.success) throw new AppError("invalid_request", `invalid ${type} params`, parsed.error.issues);
      const result = await plan(planning, parsed.data);
      if ("error" in result) throw new AppError("conflict", result.error);
      return result;
    },
  };
}

/** "revert drift": a reconcile run that puts the provider back to the spec. */
const RevertDriftParams = z.object({ action: z.literal("revert-drift") });

export const PLANNERS: { [T in RunType]: RunPlanner } = {
  deploy: runPlanner("deploy", DeployParams, async ({ cx, row, base }, params) => {
    const services = namedServices(base, params.services);
    const migrating = services.some((n) => base.spec.services[n].migrateCommand);
    // Independent reads (the repositories, the app's pending migrations), in parallel: plan latency is budgeted.
    const [refs, migrations] = await Promise.all([
      pinRefs(cx.providers().source, base.spec, services, params.ref, params.refs),
      migrating ? appMigrations(cx, row, base.spec) : null,
    ]);
    return planDeploy({
      ...base,
      refs,
      canary: params.canary,
      migrations: migrations ?? undefined,
      ...(params.services ? { services } : {}),
    });
  }),
  migrate: runPlanner("migrate", MigrateParams, async ({ cx, row, base }, params) => {
    const services = Object.keys(base.spec.services).filter((n) => base.spec.services[n].migrateCommand);
    const [refs, migrations] = await Promise.all([
      pinRefs(cx.providers().source, base.spec, services, params.ref),
      appMigrations(cx, row, base.spec),
    ]);
    const after = params.after ? { runId: params.after, soakSeconds: params.soakSeconds ?? 0 } : undefined;
    return planMigrate(
      { ...base, refs, migrations: migrations ?? undefined },
      { after, expandOnly: params.expandOnly },
    );
  }),
  backfill: runPlanner("backfill", BackfillParams, async ({ cx, base }, params) => {
    await requireStagingFirst(cx, base.env, params);
    return planBackfill(base, params);
  }),
  setup: runPlanner("setup", SetupParams, async ({ cx, row, base }, { from, fresh }) => {
    if (fresh) return planFreshSetup(cx, base, (spec, services) => pinRefs(cx.providers().source, spec, services));
    const { project: slug, name } = parseEnvRef(base.env);
    // A setup that stopped half-way (e.g. at preflight) may run again; a provisioned, released one may not.
    if (row.bindings.railway && row.currentReleaseId)
      throw new AppError("conflict", `${base.env} is already provisioned: deploy it instead`);
    const sourceName = from ?? row.baseEnv ?? "staging";
    if (sourceName === name) throw new AppError("invalid_request", "an environment cannot be set up from itself");
    const source = await findEnv(cx.db, `${slug}:${sourceName}`);
    const sourceReleases = await listReleases(cx.db, source.id);
    return planSetup(base, {
      name: source.env,
      bindings: source.bindings,
      release: sourceReleases.find((r) => r.id === source.currentReleaseId) ?? null,
    });
  }),
  "rotate-secret": runPlanner("rotate-secret", RotateSecretParams, async ({ base }, { name }) =>
    planRotateSecret(base, name),
  ),
  reconcile: runPlanner(
    "reconcile",
    z.union([RevertDriftParams, ComponentParams]),
    async ({ cx, row, base }, params) => {
      if (params.action !== "revert-drift") return planComponent(base, params);
      const drift = (await openIncidents(cx.db, row.id)).find((i) => i.kind === "drift");
      if (!drift) throw new AppError("conflict", `no drift is open for ${base.env}`);
      return planRevertDrift(base, driftChanges(drift.details));
    },
  ),
  remediate: runPlanner(
    "remediate",
    RemediateParams,
    async ({ base }, params) => planRemediate(base, params),
    (raw) => {
      const action = String(raw.action ?? "");
      return RemediationAction.safeParse(action).success
        ? null
        : new AppError("invalid_request", refusal(action || "(no action)"), { allowed: RemediationAction.options });
    },
  ),
  rollback: runPlanner("rollback", RollbackParams, async ({ cx, row, base }, params) => {
    const contracts = await appliedContracts(cx, row.id);
    return planRollback({ ...base, refs: {}, contracts }, params.toRelease);
  }),
};

/** The services a deploy names, in deploy order; every one of them must exist. */
function namedServices(base: Planning["base"], named: string[] | undefined): string[] {
  const all = deployOrder(base.spec);
  const unknown = (named ?? []).filter((n) => !all.includes(n));
  if (unknown.length > 0)
    throw new AppError(
      "invalid_request",
      `no service ${unknown.join(" or ")} in ${base.env} (${all.join(", ")}); nothing was planned`,
      { unknown, services: all },
    );
  return servicesIn(base.spec, named);
}

/**
 * Resolves each service's ref (its own in `refs`, else `ref`, else its branch head) to a commit in that
 * service's repository, so the plan pins exact code. A ref found in some services' repositories but not
 * in the others' (a commit of the api repo) names where it is, instead of failing on the first miss.
 */
async function pinRefs(
  source: SourceApi,
  spec: EnvironmentSpec,
  services: string[],
  ref?: string,
  refs: Record<string, string> = {},
): Promise<Record<string, PinnedRef>> {
  // Services of one repository (a monorepo) share a lookup: one request per repository and ref.
  const lookups = new Map<string, ReturnType<SourceApi["resolveRef"]>>();
  const resolve = (repo: string, wanted: string) => {
    const key = `${repo}@${wanted}`;
    const known = lookups.get(key) ?? source.resolveRef(repo, wanted);
    lookups.set(key, known);
    return known;
  };
  const entries = await Promise.all(
    services.map(async (name) => {
      const { repo, branch } = spec.services[name].source;
      const wanted = refs[name] ?? ref ?? branch;
      try {
        const commit = await resolve(repo, wanted);
        const pinned: PinnedRef = { repo, ref: wanted, sha: commit.sha, message: commit.message.split("\n")[0] };
        return [name, pinned] as const;
      } catch (e) {
        if (e instanceof ProviderError && !e.retryable) return [name, { missing: wanted, repo }] as const;
        throw e;
      }
    }),
  );
  const missing = entries.flatMap(([name, r]) => ("missing" in r ? [{ name, ...r }] : []));
  if (missing.length === 0) return Object.fromEntries(entries) as Record<string, PinnedRef>;
  const found = entries.flatMap(([name, r]) => ("missing" in r ? [] : [name]));
  const [first] = missing;
  const repos = [...new Set(missing.map((m) => m.repo))].join(", ");
  throw new AppError(
    "invalid_request",
    found.length > 0 && !refs[first.name]
      ? `ref "${first.missing}" is in the repository of ${found.join(", ")} only, not in ${repos}: say which services to deploy at it, e.g. "deploy ${found.join(" and ")} at ${first.missing}"`
      : `ref "${first.missing}" not found in ${repos}`,
    { services: missing.map((m) => m.name) },
  );
}

/** A production backfill needs a succeeded staging run of the same job first, unless an admin forces it. */
async function requireStagingFirst(cx: ControlContext, envRef: string, params: BackfillParams): Promise<void> {
  const { project: slug } = parseEnvRef(envRef);
  if (!isProduction(envRef) || params.dryRun) return;
  const job = { project: slug, job: params.job };
  if (params.force) {
    requireRole(cx.actor.role, "approve:production");
    return;
  }
  // Chained after a staging run of the same job: its await-run step lets it start only once that succeeded.
  if (params.after) {
    if (await isLiveStagingBackfill(cx.db, job, params.after)) return;
    throw new AppError("conflict", `run ${params.after} is not a live staging run of ${params.job} to wait for`);
  }
  if (!(await stagingBackfillSucceeded(cx.db, job)))
    throw new AppError(
      "conflict",
      `run ${params.job} on ${slug}:staging successfully first (or an admin can force it)`,
    );
}

import { isProduction } from "../domain/env-ref";
import type { PlannedStep, Risk, RunType, StepDraft } from "../domain/run";
import type { EnvironmentSpec, SpecChange } from "../domain/spec";
import type { PendingMigration, PinnedRef, ReleaseService } from "../domain/steps";
import { numberSteps } from "./steps";

export type { PendingMigration, PinnedRef } from "../domain/steps";

export interface ReleaseView {
  id: string;
  version: string;
  services: Record<string, ReleaseService>;
  createdAt: string;
}

/** What a planner knows: the desired spec, the current release, and observed facts read for the plan. */
export interface PlanInput {
  env: string;
  spec: EnvironmentSpec;
  /** Canary steps asked for explicitly ("with canary 10/50/100"); otherwise the policy decides. */
  canary?: number[];
  currentRelease: ReleaseView | null;
  /** Newest first. */
  releases: ReleaseView[];
  refs: Record<string, PinnedRef>;
  /** The migrating service's pending migrations as its app classifies them, or why the app could not say. */
  migrations?: AppMigrations;
  /** Contract migrations applied in this environment, oldest first (rollback safety). */
  contracts?: AppliedContract[];
  /** Deploy only these services ("deploy just the api"); absent = every service. */
  services?: string[];
}

export type AppMigrations = { service: string; pending: PendingMigration[] } | { service: string; error: string };

/** A contract migration that ran, and the release that was current when it did. */
export interface AppliedContract {
  name: string;
  appliedAt: string;
  /** The oldest release whose code copes with the contracted schema; null when unknown (then no rollback passes it). */
  releaseVersion: string | null;
  releaseCreatedAt: string | null;
}

/** A run the plan defers: planned now, started only after this plan's run has succeeded (and soaked). */
export interface FollowUp {
  type: "migrate";
  params: { to?: string; soakSeconds: number };
  reason: string;
}

export interface PlanOutput {
  type: RunType;
  steps: PlannedStep[];
  diff: SpecChange[];
  risk: Risk;
  followUp?: FollowUp;
}

/** Services in deploy order (spec §8.1): long-running services first, cron services last. */
export function deployOrder(spec: EnvironmentSpec): string[] {
  const names = Object.keys(spec.services);
  return [
    ...names.filter((n) => spec.services[n].kind === "service"),
    ...names.filter((n) => spec.services[n].kind === "cron"),
  ];
}

/** The services a run touches, in deploy order: the ones named, or all of them. */
export function servicesIn(spec: EnvironmentSpec, only?: readonly string[]): string[] {
  return deployOrder(spec).filter((n) => !only || only.includes(n));
}

function prepareSteps(
  spec: EnvironmentSpec,
  refs: Record<string, PinnedRef>,
  canary: string[] = [],
  only?: string[],
): StepDraft[] {
  const pinned = Object.entries(refs)
    .map(([s, r]) => `${s} ${r.message} (${r.sha.slice(0, 7)})`)
    .join(", ");
  const services = servicesIn(spec, only);
  const jobs = services.filter((n) => spec.services[n].migrateCommand).map((n) => `${n}-migrate`);
  const twins = canary.map((n) => `${n}-canary`);
  const scope = only ? { services } : {};
  return [
    { kind: "resolve-ref", summary: `Resolve release refs: ${pinned}`, params: { refs } },
    { kind: "preflight", summary: "Preflight: provisioned, secrets set, components present", params: {} },
    {
      kind: "reconcile-shape",
      summary: `Reconcile shape: ${[...services, ...jobs, ...twins].join(", ")}`,
      params: { canary, ...scope },
    },
    {
      kind: "reconcile-config",
      summary: `Reconcile config: variables, secret references, component bindings${only ? ` of ${services.join(", ")}` : ""}`,
      params: { canary, ...scope },
    },
  ];
}

/** The service a weighted canary splits (the first HTTP service with a public domain), and its weight steps. */
export function canaryPlan(spec: EnvironmentSpec, requested?: number[]): { service: string; steps: number[] } | null {
  const policy = spec.policies.canary;
  if (!requested && !(policy.enabled && policy.trafficSplit)) return null;
  const service = deployOrder(spec).find(
    (n) => spec.services[n].kind === "service" && spec.services[n].healthPath && spec.domains[n],
  );
  if (!service) return null;
  const steps = [...new Set(requested ?? policy.steps)].filter((w) => w > 0 && w <= 100).sort((a, b) => a - b);
  if (steps.at(-1) !== 100) steps.push(100);
  return { service, steps };
}

/** "name (expand), name (contract)" */
function listed(migrations: PendingMigration[]): string {
  return migrations.map((m) => `${m.name.replace(/\.c?js$/, "")} (${m.class})`).join(", ");
}

/**
 * Which pending migrations a run carries. A canary may carry expand migrations only: the old release keeps
 * serving beside the new one, so the schema must suit both. Everything from the first contract migration on
 * is deferred to its own migrate run after promotion and soak.
 */
export function splitMigrations(
  pending: PendingMigration[],
  expandOnly: boolean,
): { carried: PendingMigration[]; deferred: PendingMigration[] } {
  if (!expandOnly) return { carried: pending, deferred: [] };
  const firstContract = pending.findIndex((m) => m.class === "contract");
  return firstContract < 0
    ? { carried: pending, deferred: [] }
    : { carried: pending.slice(0, firstContract), deferred: pending.slice(firstContract) };
}

function migrateSteps(
  spec: EnvironmentSpec,
  migrations?: AppMigrations,
  expandOnly = false,
  only?: "contract",
  services?: string[],
): StepDraft[] {
  return Object.entries(spec.services)
    .filter(([name, s]) => s.migrateCommand && (!services || services.includes(name)))
    .flatMap(([name, s]) => {
      const known = migrations && migrations.service === name ? migrations : undefined;
      const base = { service: name, job: `${name}-migrate` };
      const command = `\`${s.migrateCommand}\` as the pre-deploy command of ${name}-migrate`;
      if (!known) return [{ kind: "migrate" as const, summary: `Migrate ${name}: ${command}`, params: base }];
      if ("error" in known)
        return [
          {
            kind: "migrate" as const,
            summary: `Migrate ${name}: ${command} (pending migrations unknown: ${known.error})`,
            params: base,
          },
        ];
      const { carried, deferred } = splitMigrations(known.pending, expandOnly);
      if (only === "contract" || (carried.length === 0 && known.pending.length === 0)) {
        const what = known.pending.length ? listed(known.pending) : "none pending";
        return [
          {
            kind: "migrate" as const,
            summary: `Migrate ${name}: ${what} — ${command}`,
            params: { ...base, migrations: known.pending },
          },
        ];
      }
      if (carried.length === 0) return [];
      const to = deferred.length ? carried.at(-1)?.name : undefined;
      return [
        {
          kind: "migrate" as const,
          summary: `Migrate ${name}: ${listed(carried)}${deferred.length ? `; deferred: ${listed(deferred)}` : ""} — ${command}${to ? ` --to ${to}` : ""}`,
          params: { ...base, migrations: carried, ...(to ? { to } : {}) },
        },
      ];
    });
}

/** Pending contract migrations the expand-only rule defers, and the follow-up run that will carry them. */
function deferredContract(input: PlanInput, expandOnly: boolean): { notes: string[]; followUp?: FollowUp } {
  const known = input.migrations;
  if (!known) return { notes: [] };
  if ("error" in known)
    return {
      notes: [
        `the app could not list its pending migrations (${known.error}); they run as the pre-deploy command decides`,
      ],
    };
  const { deferred } = splitMigrations(known.pending, expandOnly);
  if (deferred.length === 0) return { notes: known.pending.length ? [`migrations: ${listed(known.pending)}`] : [] };
  const soakSeconds = input.spec.policies.canary.soakSeconds;
  const reason = `${listed(deferred)} would break the release still serving beside the canary`;
  return {
    notes: [
      `contract migration${deferred.length > 1 ? "s" : ""} ${listed(deferred)} split off: a separate migrate run after promotion and a ${soakSeconds}s soak`,
    ],
    followUp: { type: "migrate", params: { soakSeconds }, reason },
  };
}

/** deploy: resolve → preflight → shape → config → migrate → services → cron → verify → finalize (spec §8.1). */
export function planDeploy(input: PlanInput): PlanOutput {
  const { spec, refs } = input;
  const order = servicesIn(spec, input.services);
  // The canary splits one service's traffic: a deploy that leaves that service alone has no canary.
  const split = canaryPlan(spec, input.canary);
  const canary = split && order.includes(split.service) ? split : null;
  const at = (name: string) => `${refs[name]?.message ?? "?"} (${refs[name]?.sha.slice(0, 7) ?? "?"})`;
  const canarySteps: StepDraft[] = canary
    ? [
        {
          kind: "deploy-service",
          summary: `Deploy ${canary.service}-canary at ${at(canary.service)} beside the stable ${canary.service}`,
          params: { service: `${canary.service}-canary`, from: canary.service },
        },
        {
          kind: "canary-split",
          summary: `Split ${spec.domains[canary.service]} between ${canary.service} (stable) and ${canary.service}-canary at 0%`,
          params: { service: canary.service },
        },
        ...canary.steps.map((weight, index) => ({
          kind: "canary-step" as const,
          summary: `Canary ${weight}% to ${canary.service}-canary, soak ${spec.policies.canary.soakSeconds}s judging canary vs baseline`,
          params: { service: canary.service, weight, index },
        })),
        {
          kind: "canary-promote",
          summary: `Promote: deploy ${at(canary.service)} to stable ${canary.service}, all traffic back to stable, drain the canary`,
          params: { service: canary.service },
        },
      ]
    : [];
  const steps = numberSteps([
    ...prepareSteps(spec, refs, canary ? [canary.service] : [], input.services),
    ...migrateSteps(spec, input.migrations, canary !== null, undefined, input.services),
    ...canarySteps,
    ...order
      .filter((name) => name !== canary?.service)
      .map((name) => ({
        kind: "deploy-service" as const,
        summary: `Deploy ${name} at ${at(name)}`,
        params: { service: name },
      })),
    {
      kind: "verify-health",
      summary: `Verify health: ${order.filter((n) => spec.services[n].healthPath && spec.services[n].kind === "service").join(", ")}`,
      params: { services: order },
    },
    { kind: "finalize-release", summary: "Finalize release record", params: {} },
  ]);
  const diff: SpecChange[] = order.flatMap((name) => {
    const from = input.currentRelease?.services[name];
    const to = refs[name];
    if (!to || from?.commitSha === to.sha) return [];
    return [
      {
        path: `release.${name}`,
        op: from ? ("change" as const) : ("add" as const),
        from: from ? `${from.commitMessage} (${from.commitSha.slice(0, 7)})` : undefined,
        to: `${to.message} (${to.sha.slice(0, 7)})`,
      },
    ];
  });
  const migrating = order.some((n) => spec.services[n].migrateCommand);
  const deferred = migrating ? deferredContract(input, canary !== null) : { notes: [] };
  const risk = deployRisk(input, diff, canary, order);
  return {
    type: "deploy",
    steps,
    diff,
    risk: { ...risk, notes: [...risk.notes, ...deferred.notes] },
    ...(deferred.followUp ? { followUp: deferred.followUp } : {}),
  };
}

/** migrate: the schema migrations of the pinned commit, without deploying the app. */
export function planMigrate(
  input: PlanInput,
  opts: { after?: { runId: string; soakSeconds: number }; expandOnly?: boolean } = {},
): PlanOutput {
  const waits = opts.after
    ? [
        {
          kind: "await-run" as const,
          summary: `Wait for run ${opts.after.runId} to succeed, then soak ${opts.after.soakSeconds}s`,
          params: { runId: opts.after.runId, soakSeconds: opts.after.soakSeconds },
        },
      ]
    : [];
  const steps = numberSteps([
    ...waits,
    ...prepareSteps(input.spec, input.refs),
    ...migrateSteps(input.spec, input.migrations, opts.expandOnly === true, opts.after ? "contract" : undefined),
  ]);
  const known = input.migrations && !("error" in input.migrations) ? input.migrations.pending : null;
  const contract = known?.filter((m) => m.class === "contract") ?? [];
  const notes = !steps.some((s) => s.kind === "migrate")
    ? ["no migration to run"]
    : contract.length
      ? [
          `contract migration${contract.length > 1 ? "s" : ""} ${listed(contract)}: releases older than this can no longer be rolled back to`,
        ]
      : ["schema changes apply before the app code that needs them is deployed; only expand migrations are safe here"];
  return { type: "migrate", steps, diff: [], risk: { level: contract.length ? "high" : "medium", notes } };
}

/** rollback: every service back to the deployment of the target release (default: the previous one). */
export function planRollback(input: PlanInput, toRelease?: string): PlanOutput | { error: string } {
  const { currentRelease, releases } = input;
  if (!currentRelease) return { error: `${input.env} has no current release to roll back from` };
  const target = toRelease
    ? releases.find((r) => r.version === toRelease || r.id === toRelease)
    : releases[releases.findIndex((r) => r.id === currentRelease.id) + 1];
  if (!target)
    return {
      error: toRelease
        ? `release ${toRelease} not found for ${input.env}`
        : `${input.env} has no release before ${currentRelease.version}`,
    };
  if (target.id === currentRelease.id) return { error: `${input.env} is already on ${target.version}` };
  // The schema only moves forward: code older than a contract migration may need what it removed.
  const blocking = (input.contracts ?? []).find(
    (c) => c.releaseCreatedAt === null || Date.parse(target.createdAt) < Date.parse(c.releaseCreatedAt),
  );
  if (blocking) {
    return {
      error: `refusing to roll ${input.env} back to ${target.version}: contract migration ${blocking.name} ran at ${blocking.appliedAt}${blocking.releaseVersion ? ` for ${blocking.releaseVersion}` : ""}, and ${target.version} is older, so its code may depend on the schema that migration removed; roll forward instead`,
    };
  }
  const changed = deployOrder(input.spec).filter(
    (n) => target.services[n] && target.services[n].commitSha !== currentRelease.services[n]?.commitSha,
  );
  const steps = numberSteps([
    { kind: "preflight", summary: "Preflight: provisioned, secrets set, components present", params: {} },
    ...changed.map((name) => ({
      kind: "rollback-service" as const,
      summary: `Roll ${name} back to ${target.services[name].commitMessage} (${target.services[name].commitSha.slice(0, 7)})`,
      params: { service: name, target: target.services[name] },
    })),
    {
      kind: "verify-health",
      summary: `Verify health: ${changed.join(", ") || "nothing changed"}`,
      params: { services: changed },
    },
    {
      kind: "finalize-release",
      summary: `Make ${target.version} the current release`,
      params: { toRelease: target.id, toVersion: target.version },
    },
  ]);
  const diff: SpecChange[] = changed.map((name) => ({
    path: `release.${name}`,
    op: "change",
    from: `${currentRelease.services[name]?.commitMessage ?? "?"} (${currentRelease.services[name]?.commitSha.slice(0, 7) ?? "?"})`,
    to: `${target.services[name].commitMessage} (${target.services[name].commitSha.slice(0, 7)})`,
  }));
  return {
    type: "rollback",
    steps,
    diff,
    risk: {
      level: "medium",
      notes: [`${currentRelease.version} → ${target.version}`, "schema migrations are not reversed by a rollback"],
    },
  };
}

function deployRisk(
  input: PlanInput,
  diff: SpecChange[],
  canary: { service: string; steps: number[] } | null,
  order: string[],
): Risk {
  const notes: string[] = [];
  const production = isProduction(input.env);
  const untouched = deployOrder(input.spec).filter((n) => !order.includes(n));
  if (untouched.length > 0)
    notes.push(`only ${order.join(", ")}: ${untouched.join(", ")} stay${untouched.length > 1 ? "" : "s"} as deployed`);
  if (diff.length === 0)
    notes.push(
      `${untouched.length ? "these services are" : "every service is"} already at these commits: this redeploys them`,
    );
  const migrating = order.filter((n) => input.spec.services[n].migrateCommand);
  if (migrating.length)
    notes.push(
      `runs schema migrations first (${migrating.join(", ")}); a failed migration stops the run before any app deploy`,
    );
  if (production) notes.push("production: approval by an admin other than the requester is required");
  if (canary)
    notes.push(
      `weighted canary ${canary.steps.join("/")} on ${canary.service}${input.spec.policies.autoRollback ? " with automatic rollback on bad signals" : "; bad signals halt it for a decision"}`,
    );
  return { level: production ? "high" : migrating.length ? "medium" : "low", notes };
}

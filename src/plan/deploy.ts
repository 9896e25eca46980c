import type { PlannedStep, Risk, RunType } from "../domain/run";
import type { EnvironmentSpec, SpecChange } from "../domain/spec";
import { numberSteps } from "./steps";

/** A commit pinned at plan time, so what is approved is exactly what is deployed. */
export interface PinnedRef {
  repo: string;
  ref: string;
  sha: string;
  message: string;
}

export interface ReleaseView {
  id: string;
  version: string;
  services: Record<string, { commitSha: string; commitMessage: string; deploymentId: string }>;
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
}

export interface PlanOutput {
  type: RunType;
  steps: PlannedStep[];
  diff: SpecChange[];
  risk: Risk;
}

/** Services in deploy order (spec §8.1): long-running services first, cron services last. */
export function deployOrder(spec: EnvironmentSpec): string[] {
  const names = Object.keys(spec.services);
  return [...names.filter((n) => spec.services[n].kind === "service"), ...names.filter((n) => spec.services[n].kind === "cron")];
}

function prepareSteps(spec: EnvironmentSpec, refs: Record<string, PinnedRef>, canary: string[] = []): Omit<PlannedStep, "id">[] {
  const pinned = Object.entries(refs).map(([s, r]) => `${s} ${r.message} (${r.sha.slice(0, 7)})`).join(", ");
  const jobs = Object.entries(spec.services).filter(([, s]) => s.migrateCommand).map(([n]) => `${n}-migrate`);
  const twins = canary.map((n) => `${n}-canary`);
  return [
    { kind: "resolve-ref", summary: `Resolve release refs: ${pinned}`, params: { refs } },
    { kind: "preflight", summary: "Preflight: provisioned, secrets set, components present", params: {} },
    { kind: "reconcile-shape", summary: `Reconcile shape: ${[...deployOrder(spec), ...jobs, ...twins].join(", ")}`, params: { canary } },
    { kind: "reconcile-config", summary: "Reconcile config: variables, secret references, component bindings", params: { canary } },
  ];
}

/** The service a weighted canary splits (the first HTTP service with a public domain), and its weight steps. */
export function canaryPlan(spec: EnvironmentSpec, requested?: number[]): { service: string; steps: number[] } | null {
  const policy = spec.policies.canary;
  if (!requested && !(policy.enabled && policy.trafficSplit)) return null;
  const service = deployOrder(spec).find((n) => spec.services[n].kind === "service" && spec.services[n].healthPath && spec.domains[n]);
  if (!service) return null;
  const steps = [...new Set(requested ?? policy.steps)].filter((w) => w > 0 && w <= 100).sort((a, b) => a - b);
  if (steps.at(-1) !== 100) steps.push(100);
  return { service, steps };
}

function migrateSteps(spec: EnvironmentSpec): Omit<PlannedStep, "id">[] {
  return Object.entries(spec.services).filter(([, s]) => s.migrateCommand).map(([name, s]) => ({
    kind: "migrate" as const,
    summary: `Migrate ${name}: \`${s.migrateCommand}\` as the pre-deploy command of ${name}-migrate`,
    params: { service: name, job: `${name}-migrate` },
  }));
}

/** deploy: resolve → preflight → shape → config → migrate → services → cron → verify → finalize (spec §8.1). */
export function planDeploy(input: PlanInput): PlanOutput {
  const { spec, refs } = input;
  const order = deployOrder(spec);
  const canary = canaryPlan(spec, input.canary);
  const at = (name: string) => `${refs[name]?.message ?? "?"} (${refs[name]?.sha.slice(0, 7) ?? "?"})`;
  const canarySteps: Omit<PlannedStep, "id">[] = canary ? [
    { kind: "deploy-service", summary: `Deploy ${canary.service}-canary at ${at(canary.service)} beside the stable ${canary.service}`, params: { service: `${canary.service}-canary`, from: canary.service } },
    { kind: "canary-split", summary: `Split ${spec.domains[canary.service]} between ${canary.service} (stable) and ${canary.service}-canary at 0%`, params: { service: canary.service } },
    ...canary.steps.map((weight, index) => ({
      kind: "canary-step" as const,
      summary: `Canary ${weight}% to ${canary.service}-canary, soak ${spec.policies.canary.soakSeconds}s judging canary vs baseline`,
      params: { service: canary.service, weight, index },
    })),
    { kind: "canary-promote", summary: `Promote: deploy ${at(canary.service)} to stable ${canary.service}, all traffic back to stable, drain the canary`, params: { service: canary.service } },
  ] : [];
  const steps = numberSteps([
    ...prepareSteps(spec, refs, canary ? [canary.service] : []),
    ...migrateSteps(spec),
    ...canarySteps,
    ...order.filter((name) => name !== canary?.service).map((name) => ({
      kind: "deploy-service" as const,
      summary: `Deploy ${name} at ${at(name)}`,
      params: { service: name },
    })),
    { kind: "verify-health", summary: `Verify health: ${order.filter((n) => spec.services[n].healthPath && spec.services[n].kind === "service").join(", ")}`, params: { services: order } },
    { kind: "finalize-release", summary: "Finalize release record", params: {} },
  ]);
  const diff: SpecChange[] = order.flatMap((name) => {
    const from = input.currentRelease?.services[name];
    const to = refs[name];
    if (!to || from?.commitSha === to.sha) return [];
    return [{ path: `release.${name}`, op: from ? "change" as const : "add" as const, from: from ? `${from.commitMessage} (${from.commitSha.slice(0, 7)})` : undefined, to: `${to.message} (${to.sha.slice(0, 7)})` }];
  });
  return { type: "deploy", steps, diff, risk: deployRisk(input, diff, canary) };
}

/** migrate: the schema migrations of the pinned commit, without deploying the app. */
export function planMigrate(input: PlanInput): PlanOutput {
  const steps = numberSteps([...prepareSteps(input.spec, input.refs), ...migrateSteps(input.spec)]);
  const notes = steps.some((s) => s.kind === "migrate") ? ["schema changes apply before the app code that needs them is deployed; only expand migrations are safe here"] : ["no service declares a migrate command: nothing to run"];
  return { type: "migrate", steps, diff: [], risk: { level: "medium", notes } };
}

/** rollback: every service back to the deployment of the target release (default: the previous one). */
export function planRollback(input: PlanInput, toRelease?: string): PlanOutput | { error: string } {
  const { currentRelease, releases } = input;
  if (!currentRelease) return { error: `${input.env} has no current release to roll back from` };
  const target = toRelease
    ? releases.find((r) => r.version === toRelease || r.id === toRelease)
    : releases[releases.findIndex((r) => r.id === currentRelease.id) + 1];
  if (!target) return { error: toRelease ? `release ${toRelease} not found for ${input.env}` : `${input.env} has no release before ${currentRelease.version}` };
  if (target.id === currentRelease.id) return { error: `${input.env} is already on ${target.version}` };
  const changed = deployOrder(input.spec).filter((n) => target.services[n] && target.services[n].commitSha !== currentRelease.services[n]?.commitSha);
  const steps = numberSteps([
    { kind: "preflight", summary: "Preflight: provisioned, secrets set, components present", params: {} },
    ...changed.map((name) => ({
      kind: "rollback-service" as const,
      summary: `Roll ${name} back to ${target.services[name].commitMessage} (${target.services[name].commitSha.slice(0, 7)})`,
      params: { service: name, target: target.services[name] },
    })),
    { kind: "verify-health", summary: `Verify health: ${changed.join(", ") || "nothing changed"}`, params: { services: changed } },
    { kind: "finalize-release", summary: `Make ${target.version} the current release`, params: { toRelease: target.id, toVersion: target.version } },
  ]);
  const diff: SpecChange[] = changed.map((name) => ({
    path: `release.${name}`, op: "change", from: `${currentRelease.services[name]?.commitMessage ?? "?"} (${currentRelease.services[name]?.commitSha.slice(0, 7) ?? "?"})`,
    to: `${target.services[name].commitMessage} (${target.services[name].commitSha.slice(0, 7)})`,
  }));
  return { type: "rollback", steps, diff, risk: { level: "medium", notes: [`${currentRelease.version} → ${target.version}`, "schema migrations are not reversed by a rollback"] } };
}

function deployRisk(input: PlanInput, diff: SpecChange[], canary: { service: string; steps: number[] } | null): Risk {
  const notes: string[] = [];
  const production = input.env.endsWith(":production");
  if (diff.length === 0) notes.push("every service is already at these commits: this redeploys them");
  const migrating = Object.entries(input.spec.services).filter(([, s]) => s.migrateCommand).map(([n]) => n);
  if (migrating.length) notes.push(`runs schema migrations first (${migrating.join(", ")}); a failed migration stops the run before any app deploy`);
  if (production) notes.push("production: approval by an admin other than the requester is required");
  if (canary) notes.push(`weighted canary ${canary.steps.join("/")} on ${canary.service}${input.spec.policies.autoRollback ? " with automatic rollback on bad signals" : "; bad signals halt it for a decision"}`);
  return { level: production ? "high" : migrating.length ? "medium" : "low", notes };
}

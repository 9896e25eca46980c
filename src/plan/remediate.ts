/**
 * Remediation from the bounded set only (spec §10.2): what to propose for an anomaly, whether policy
 * lets it apply without a person, and the plan of a `remediate` run. Anything else is refused here,
 * before a plan exists, so nothing outside the set can reach a provider.
 */
import { z } from "zod";
import { RemediationAction } from "../domain/monitoring";
import type { MonitorRule } from "../domain/monitoring";
import type { StepDraft } from "../domain/run";
import type { EnvironmentSpec, SpecChange } from "../domain/spec";
import { planRollback } from "./deploy";
import type { PlanInput, PlanOutput } from "./deploy";
import { numberSteps } from "./steps";

export const RemediateParams = z
  .object({
    action: RemediationAction,
    service: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/)
      .optional(),
    replicas: z.number().int().min(0).max(50).optional(),
    toRelease: z.string().min(1).max(100).optional(),
    /** The incident this remediates (set by the monitor). */
    incidentId: z.string().max(100).optional(),
  })
  .strict();
export type RemediateParams = z.infer<typeof RemediateParams>;

const NEVER: [RegExp, string][] = [
  [
    /\b(drop|truncate|delete|purge|wipe|erase|destroy)\b.*\b(table|tables|data|database|db|users|rows|records|bucket|backups?)\b|\bpurge\b/,
    "data purges and destructive changes to stored data are never applied by Infra Chat",
  ],
  [
    /\b(migration|migrations|schema|alter table|drop column)\b/,
    "destructive migrations are never applied automatically; write a migration and deploy it",
  ],
  [
    /\b(code|patch|hotfix|commit|edit|change the app|fix the bug)\b/,
    "code changes are never made by Infra Chat; push a fix and deploy it",
  ],
];

/** Why a requested fix outside the bounded set is refused (null when the words name nothing forbidden). */
export function forbiddenRemediation(text: string): string | null {
  const lower = text.toLowerCase();
  return NEVER.find(([re]) => re.test(lower))?.[1] ?? null;
}

/** The refusal for an action name outside the bounded set. */
export function refusal(action: string): string {
  const why = forbiddenRemediation(action.replace(/[-_]/g, " "));
  return `"${action}" is outside the bounded remediation set (${RemediationAction.options.join(", ")})${why ? `: ${why}` : ""}. Nothing was sent to a provider.`;
}

/** The risk note of each action. */
export function riskNote(
  action: RemediationAction,
  detail: { service?: string; from?: number; to?: number; release?: string } = {},
): string {
  switch (action) {
    case "rollback":
      return `every service returns to ${detail.release ?? "the previous release"}; schema migrations are not reversed; requests in flight during the switch may fail`;
    case "restart":
      return `${detail.service ?? "the service"} redeploys at the same commit (brief capacity dip); it does not fix a bad release`;
    case "scale":
      return `${detail.service ?? "the service"} replicas ${detail.from ?? "?"} → ${detail.to ?? "?"} (costs more while scaled; does not fix errors in the code)`;
    case "disable-cron":
      return `${detail.service ?? "the cron job"} stops running on schedule until re-enabled (a reconcile restores the spec's schedule)`;
    case "halt-canary":
      return "the canary stays at its current weight and stops progressing until a person resumes or rolls back";
  }
}

/** What the monitor proposes for one anomaly, and whether policy lets it apply by itself. */
export interface Proposal {
  action: RemediationAction;
  service?: string;
  replicas?: number;
  risk: string;
  auto: boolean;
  /** The stored rule that chose it. */
  rule?: MonitorRule;
}

export interface ProposalFacts {
  kind: string;
  service: string;
  spec: EnvironmentSpec;
  /** A canary run of this environment is taking traffic. */
  canaryActive: boolean;
  hasPreviousRelease: boolean;
  previousVersion?: string;
  /** Age of the current release at the time of the anomaly (ms), if there is one. */
  releaseAgeMs: number | null;
  currentReplicas: number | null;
  /** The drift includes the load balancer's canary weight. */
  poolWeightDrift?: boolean;
}

/** Chooses one bounded action for an anomaly (or none: a person decides). */
export function proposeRemediation(f: ProposalFacts): Proposal | null {
  const policy = f.spec.policies.monitoring;
  const autoBy = (action: RemediationAction) => policy.autoRemediate.includes(action);
  // Someone moved the pool weights under a running canary: its verdicts no longer mean anything.
  if (f.canaryActive && f.poolWeightDrift) return { action: "halt-canary", risk: riskNote("halt-canary"), auto: true };
  // During a canary the canary judge owns rollback; a second remediation would race it.
  if (f.canaryActive || f.kind === "drift") return null;
  if (f.kind === "errors" || f.kind === "health") {
    const rule = policy.rules.find(
      (r) =>
        r.when === "repeated-5xx-after-deploy" && f.releaseAgeMs !== null && f.releaseAgeMs <= r.withinSeconds * 1000,
    );
    if (rule && (rule.then !== "rollback" || f.hasPreviousRelease)) {
      const auto = rule.then === "rollback" ? f.spec.policies.autoRollback || autoBy("rollback") : autoBy(rule.then);
      return { ...forAction(rule.then, f), auto, rule };
    }
    if (f.hasPreviousRelease) return { ...forAction("rollback", f), auto: autoBy("rollback") };
    return { ...forAction("restart", f), auto: autoBy("restart") };
  }
  if (f.kind === "latency") {
    const from = f.currentReplicas ?? f.spec.services[f.service]?.replicas ?? 1;
    if (from < policy.replicas.max)
      return {
        action: "scale",
        service: f.service,
        replicas: from + 1,
        risk: riskNote("scale", { service: f.service, from, to: from + 1 }),
        auto: autoBy("scale"),
      };
    return { ...forAction("restart", f), auto: autoBy("restart") };
  }
  if (f.kind === "log-pattern") return { ...forAction("restart", f), auto: autoBy("restart") };
  if (f.kind === "cron")
    return {
      action: "disable-cron",
      service: f.service,
      risk: riskNote("disable-cron", { service: f.service }),
      auto: autoBy("disable-cron"),
    };
  return null;
}

function forAction(action: RemediationAction, f: ProposalFacts): Omit<Proposal, "auto"> {
  if (action === "rollback") return { action, risk: riskNote("rollback", { release: f.previousVersion }) };
  return { action, service: f.service, risk: riskNote(action, { service: f.service }) };
}

/** The plan of a `remediate` run, or why it cannot be planned. */
export function planRemediate(
  input: Omit<PlanInput, "refs">,
  params: RemediateParams,
  observedReplicas?: number,
): PlanOutput | { error: string } {
  const { spec } = input;
  const policy = spec.policies.monitoring;
  if (params.action === "rollback") {
    const rollback = planRollback({ ...input, refs: {} }, params.toRelease);
    if ("error" in rollback) return rollback;
    return {
      ...rollback,
      type: "remediate",
      risk: {
        level: "medium",
        notes: [riskNote("rollback", { release: rollback.diff[0]?.to as string | undefined }), ...rollback.risk.notes],
      },
    };
  }
  if (params.action === "halt-canary")
    return { error: 'halt-canary acts on the running canary directly: say "halt the canary"' };
  const service = params.service;
  const svc = service ? spec.services[service] : undefined;
  if (!service || !svc)
    return { error: `${params.action} needs a service of ${input.env} (${Object.keys(spec.services).join(", ")})` };
  let step: StepDraft;
  let risk: string;
  switch (params.action) {
    case "restart":
      if (svc.kind !== "service")
        return { error: `${service} is a ${svc.kind} service: only long-running services restart` };
      step = { kind: "restart-service", summary: `Restart ${service}: redeploy its live commit`, params: { service } };
      risk = riskNote("restart", { service });
      break;
    case "scale": {
      const to = params.replicas;
      if (to === undefined) return { error: "scale needs a replica count" };
      if (to < policy.replicas.min || to > policy.replicas.max)
        return {
          error: `scaling ${service} to ${to} is outside the policy's limits (${policy.replicas.min}–${policy.replicas.max} replicas)`,
        };
      const from = observedReplicas ?? svc.replicas;
      step = {
        kind: "scale-service",
        summary: `Scale ${service} from ${from} to ${to} replicas`,
        params: { service, replicas: to, reviseSpec: true },
      };
      risk = riskNote("scale", { service, from, to });
      break;
    }
    case "disable-cron":
      if (svc.kind !== "cron") return { error: `${service} is not a cron service` };
      step = {
        kind: "disable-cron",
        summary: `Disable ${service}'s schedule (${svc.schedule ?? "none"}) until re-enabled`,
        params: { service },
      };
      risk = riskNote("disable-cron", { service });
      break;
  }
  return { type: "remediate", steps: numberSteps([step]), diff: [], risk: { level: "low", notes: [risk] } };
}

/** The reconcile plan that puts drifted replica counts back to the spec's ("revert"). */
export function planRevertDrift(input: Omit<PlanInput, "refs">, drift: SpecChange[]): PlanOutput | { error: string } {
  // Auto-deploy switched on behind our back: reconcile-shape puts every service's Railway settings back,
  // auto-deploy off included (one step, however many services drifted).
  const pushing = drift.flatMap((c) => /^services\.([a-z][a-z0-9-]*)\.autoDeploy$/.exec(c.path)?.[1] ?? []);
  const autoDeploy: StepDraft[] = pushing.length
    ? [
        {
          kind: "reconcile-shape",
          summary: `Turn Railway auto-deploy back ${pushing.map((n) => `${input.spec.services[n]?.autoDeploy ? "on" : "off"} for ${n}`).join(", ")} (every service's settings back to the spec)`,
          params: {},
        },
      ]
    : [];
  const scaled = drift.flatMap((change) => {
    const m = /^services\.([a-z][a-z0-9-]*)\.replicas$/.exec(change.path);
    const svc = m ? input.spec.services[m[1]] : undefined;
    if (!m || !svc) return [];
    return [
      {
        kind: "scale-service" as const,
        summary: `Revert ${m[1]} to the spec's ${svc.replicas} replica${svc.replicas === 1 ? "" : "s"} (found ${String(change.to)})`,
        params: { service: m[1], replicas: svc.replicas, reviseSpec: false },
      },
    ];
  });
  const steps: StepDraft[] = [...scaled, ...autoDeploy];
  if (!steps.length)
    return {
      error: `nothing in this drift can be reverted by a run (${drift.map((c) => c.path).join(", ") || "no changes"})`,
    };
  return {
    type: "reconcile",
    steps: numberSteps(steps),
    diff: [],
    risk: {
      level: "low",
      notes: [
        ...(scaled.length
          ? ["replica counts return to the desired state; capacity changes as the provider applies it"]
          : []),
        ...(pushing.length ? ["pushes stop deploying by themselves; deploys go through runs again"] : []),
      ],
    },
  };
}

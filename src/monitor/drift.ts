/**
 * Drift: observed provider state versus the desired spec, pure. A difference made outside Infra Chat is
 * reported as a diff with two choices — adopt it (new spec revision) or revert it (a reconcile run).
 */
import type { EnvironmentSpec, SpecChange } from "../domain/spec";

/** What the monitor read from the providers for one environment. */
export interface ObservedState {
  services: Record<
    string,
    {
      present: boolean;
      replicas: number | null;
      variableNames: string[] | null;
      /** Whether Railway deploys pushes to it by itself (null: not read). */
      autoDeploy?: boolean | null;
    }
  >;
  /**
   * A canary run's recorded weight vs what the load balancer reports (only while a canary runs). `moving`:
   * weights the run itself may have set but not yet recorded (a weight step in flight or waiting to retry
   * after an answer was lost, and 0 while it splits, rolls back or promotes): those are not drift.
   */
  canary?: { expected: number; observed: number; moving?: number[] } | null;
  /** Infra Chat has applied the spec's variables (a deploy ran): only then is a missing name drift. */
  configApplied?: boolean;
}

const COMPONENT_OUTPUT: Record<string, string> = { postgres: "DATABASE_URL", redis: "REDIS_URL" };

/** Variable names a reconcile writes for one service (reconcile-config's rules). */
function desiredVariableNames(spec: EnvironmentSpec, name: string): Set<string> {
  const svc = spec.services[name];
  const names = new Set(Object.keys(svc.env));
  if (svc.port && svc.kind === "service") names.add("PORT");
  for (const dep of svc.dependsOn) {
    const output = COMPONENT_OUTPUT[spec.components[dep]?.type ?? ""];
    if (output) names.add(output);
  }
  return names;
}

// Railway injects these itself; they are not part of anyone's desired state.
const PROVIDER_VARIABLE = /^RAILWAY_/;

/** Leaf changes that would turn the desired spec into what is observed (`from` desired, `to` observed). */
export function detectDrift(spec: EnvironmentSpec, observed: ObservedState): SpecChange[] {
  const changes: SpecChange[] = [];
  for (const [name, svc] of Object.entries(spec.services)) {
    const seen = observed.services[name];
    if (!seen) continue;
    if (!seen.present) {
      changes.push({ path: `services.${name}`, op: "remove", from: "present", to: "missing at the provider" });
      continue;
    }
    // Someone switched Railway's auto-deploy back on (or off) behind the control plane's back: pushes would
    // deploy by themselves, out of order and past the canary. Only once a run has reconciled it.
    const wantAutoDeploy = svc.autoDeploy === true;
    if (observed.configApplied && typeof seen.autoDeploy === "boolean" && seen.autoDeploy !== wantAutoDeploy)
      changes.push({ path: `services.${name}.autoDeploy`, op: "change", from: wantAutoDeploy, to: seen.autoDeploy });
    const replicas = seen.replicas ?? 1;
    if (svc.kind === "service" && replicas !== svc.replicas)
      changes.push({ path: `services.${name}.replicas`, op: "change", from: svc.replicas, to: replicas });
    if (seen.variableNames) {
      const want = desiredVariableNames(spec, name);
      const have = new Set(seen.variableNames.filter((v) => !PROVIDER_VARIABLE.test(v)));
      if (observed.configApplied)
        for (const v of [...want].sort())
          if (!have.has(v))
            changes.push({
              path: `services.${name}.env.${v}`,
              op: "remove",
              from: "set",
              to: "missing at the provider",
            });
      for (const v of [...have].sort())
        if (!want.has(v))
          changes.push({ path: `services.${name}.env.${v}`, op: "add", to: "set at the provider only" });
    }
  }
  const canary = observed.canary;
  if (canary && canary.expected !== canary.observed && !canary.moving?.includes(canary.observed)) {
    changes.push({ path: "traffic.canaryWeight", op: "change", from: canary.expected, to: canary.observed });
  }
  return changes;
}

/** Applies the adoptable part of a drift (replica counts, auto-deploy) to a copy of the spec: the "adopt" choice. */
export function adoptDrift(
  spec: EnvironmentSpec,
  drift: SpecChange[],
): { spec: EnvironmentSpec; adopted: SpecChange[]; skipped: SpecChange[] } {
  const next = structuredClone(spec);
  const adopted: SpecChange[] = [];
  const skipped: SpecChange[] = [];
  for (const change of drift) {
    const m = /^services\.([a-z][a-z0-9-]*)\.(replicas|autoDeploy)$/.exec(change.path);
    const svc = m ? next.services[m[1]] : undefined;
    if (svc && m?.[2] === "replicas" && typeof change.to === "number") {
      svc.replicas = change.to;
      adopted.push(change);
    } else if (svc && m?.[2] === "autoDeploy" && typeof change.to === "boolean") {
      // Off is the default: adopting "off" removes the field rather than writing it out.
      if (change.to) svc.autoDeploy = true;
      else delete svc.autoDeploy;
      adopted.push(change);
    } else skipped.push(change);
  }
  return { spec: next, adopted, skipped };
}

/** One line per change, for chat and SMS. */
export function describeDrift(drift: SpecChange[]): string {
  return drift.map((c) => `${c.path}: ${String(c.from ?? "∅")} → ${String(c.to ?? "∅")}`).join("; ");
}

import type { PlannedStep } from "../domain/run";
import type { Bindings } from "../domain/spec";
import type { PinnedRef, PlanInput, PlanOutput, ReleaseView } from "./deploy";
import { deployOrder } from "./deploy";
import { numberSteps } from "./steps";

export interface SetupSource {
  name: string;
  bindings: Bindings;
  release: ReleaseView | null;
}

/**
 * setup: provision an environment at the providers as a copy of a provisioned one, then bring it to
 * the source's release the same way a deploy does (config, migrations, services, health, release).
 */
export function planSetup(input: Omit<PlanInput, "refs">, source: SetupSource): PlanOutput | { error: string } {
  const { spec } = input;
  if (!source.bindings.railway) return { error: `${source.name} is not provisioned itself, so it cannot be copied` };
  if (!source.release) return { error: `${source.name} has no release to mirror yet` };
  const order = deployOrder(spec);
  const refs: Record<string, PinnedRef> = {};
  for (const name of order) {
    const live = source.release.services[name];
    if (live) refs[name] = { repo: spec.services[name].source.repo, ref: live.commitSha, sha: live.commitSha, message: live.commitMessage };
  }
  const migrating = order.filter((n) => spec.services[n].migrateCommand && refs[n]);
  const steps: Omit<PlannedStep, "id">[] = [
    { kind: "resolve-ref", summary: `Mirror ${source.name}'s release ${source.release.version}: ${Object.entries(refs).map(([n, r]) => `${n} ${r.message}`).join(", ")}`, params: { refs } },
    { kind: "ensure-environment", summary: `Create the Railway environment as a copy of ${source.name} (services, settings, variables; no deploys)`, params: { source: { name: source.name, railway: source.bindings.railway, cloudflare: source.bindings.cloudflare } } },
    { kind: "preflight", summary: "Preflight: secrets set for this environment, components present", params: {} },
    { kind: "reconcile-shape", summary: `Apply this environment's settings (replicas, commands, domains)`, params: {} },
    { kind: "reconcile-config", summary: "Set this environment's variables and secret references", params: {} },
    ...migrating.map((n) => ({ kind: "migrate" as const, summary: `Migrate ${n} on the new database`, params: { service: n, job: `${n}-migrate` } })),
    ...order.filter((n) => refs[n]).map((n) => ({ kind: "deploy-service" as const, summary: `Deploy ${n} at ${refs[n].message}`, params: { service: n } })),
    { kind: "verify-health", summary: "Verify health", params: { services: order } },
    { kind: "finalize-release", summary: "Record the first release", params: {} },
  ];
  return {
    type: "setup",
    steps: numberSteps(steps),
    diff: [{ path: "provisioned", op: "add", to: `${input.env} at Railway, copied from ${source.name}` }],
    risk: { level: "medium", notes: ["creates a Railway environment and its database (the source's data is not copied)", "each environment needs its own secrets before this can finish"] },
  };
}

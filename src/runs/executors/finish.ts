import type { StepExecutor } from "../context";
import { railwayOf } from "../railway-binding";

const MAX_FAILED_CHECKS = 5;

/** Probes each service's health endpoint on its Railway domain until all answer 200 (bounded). */
export const verifyHealth: StepExecutor<"verify-health"> = async (ctx) => {
  const binding = railwayOf(ctx);
  const failures = (ctx.step.state.failures ??= {});
  const pending: string[] = [];
  const checked: string[] = [];
  for (const name of ctx.step.params.services) {
    const spec = ctx.env.spec.services[name];
    const serviceId = binding.services[name];
    if (!spec?.healthPath || spec.kind !== "service" || !serviceId) continue;
    const domains = await ctx.railway.listServiceDomains(binding.projectId, binding.environmentId, serviceId);
    if (domains.length === 0) continue;
    const status = await ctx
      .appFetch(`https://${domains[0].domain}${spec.healthPath}`, { signal: AbortSignal.timeout(10_000) })
      .then((r) => r.status)
      .catch(() => 0);
    if (status === 200) {
      checked.push(name);
      continue;
    }
    failures[name] = (failures[name] ?? 0) + 1;
    if (failures[name] >= MAX_FAILED_CHECKS) {
      return {
        kind: "fail",
        error: `${name} health check ${spec.healthPath} failed ${MAX_FAILED_CHECKS} times (last status ${status || "no response"})`,
      };
    }
    pending.push(name);
  }
  ctx.save();
  if (pending.length)
    return { kind: "wait", ms: ctx.pollMs, note: `waiting for ${pending.join(", ")} to become healthy` };
  return { kind: "done", note: checked.length ? `healthy: ${checked.join(", ")}` : "no health endpoints to check" };
};

/** Records the release (deploy) or points the environment back at an earlier one (rollback). */
export const finalizeRelease: StepExecutor<"finalize-release"> = async (ctx) => {
  const { toRelease, toVersion } = ctx.step.params;
  if (toRelease) {
    await ctx.port.setCurrentRelease(ctx.env.envId, toRelease);
    ctx.run.outputs.release = toRelease;
    ctx.save();
    return { kind: "done", note: `current release is ${toVersion ?? toRelease} again` };
  }
  const deployed = ctx.run.outputs.deployed ?? {};
  // Only the spec's services make a release (a canary twin or migration job is plumbing, not a release).
  const mine = Object.fromEntries(Object.entries(deployed).filter(([name]) => name in ctx.env.spec.services));
  const services = { ...(ctx.env.currentRelease?.services ?? {}), ...mine };
  const release = await ctx.port.recordRelease(ctx.env.envId, services, ctx.run.id);
  ctx.run.outputs.release = release.id;
  ctx.run.outputs.releaseVersion = release.version;
  ctx.save();
  return { kind: "done", note: `release ${release.version} recorded` };
};

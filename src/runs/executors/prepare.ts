import { errorText } from "../../domain/errors";
import { ProviderError } from "../../providers/types";
import type { StepExecutor } from "../context";

/** Checks that every commit pinned at plan time still exists, and hands them to later steps. */
export const resolveRef: StepExecutor<"resolve-ref"> = async ({ step, run, source, save }) => {
  const { refs } = step.params;
  for (const [service, pinned] of Object.entries(refs)) {
    try {
      const commit = await source.resolveRef(pinned.repo, pinned.sha);
      if (commit.sha !== pinned.sha)
        return { kind: "fail", error: `${service}: ${pinned.repo}@${pinned.sha} resolves to ${commit.sha}` };
    } catch (e) {
      if (e instanceof ProviderError && e.retryable)
        return { kind: "fail", error: e.message, retryAfterMs: e.retryAfterMs ?? 2000 };
      return {
        kind: "fail",
        error: `${service}: commit ${pinned.sha.slice(0, 7)} of ${pinned.repo} not found (${errorText(e)})`,
      };
    }
  }
  run.outputs.refs = refs;
  save();
  const note = Object.entries(refs)
    .map(([s, r]) => `${s} ${r.message} (${r.sha.slice(0, 7)})`)
    .join(", ");
  return { kind: "done", note };
};

/** Refuses to start when the environment cannot be deployed: unprovisioned, secrets or components missing. */
export const preflight: StepExecutor<"preflight"> = async ({ env, railway, port }) => {
  const railwayBinding = env.bindings.railway;
  if (!railwayBinding) return { kind: "fail", error: `${env.env} is not provisioned on Railway yet: run setup first` };
  const stored = new Set(await port.secretNames(env.envId));
  const missing = Object.values(env.spec.services)
    .flatMap((s) => Object.values(s.env))
    .flatMap((v) => ("secret" in v && !stored.has(v.secret) ? [v.secret] : []));
  if (missing.length > 0) {
    const names = [...new Set(missing)].sort();
    return {
      kind: "fail",
      error: `secrets not set for ${env.env}: ${names.join(", ")} (PUT /api/envs/${env.env}/secrets/<NAME>)`,
    };
  }
  const services = new Set((await railway.listServices(railwayBinding.projectId)).map((s) => s.name));
  const absent = Object.values(env.spec.components)
    .filter((c) => c.type !== "storage" && !services.has(componentServiceName(c.type)))
    .map((c) => c.type);
  if (absent.length > 0)
    return { kind: "fail", error: `components missing at Railway: ${absent.join(", ")}; run setup` };
  return { kind: "done", note: "provisioned; secrets and components present" };
};

/** The Railway service that provides a component's connection variables. */
export function componentServiceName(type: string): string {
  return type === "postgres" ? "Postgres" : type === "redis" ? "Redis" : type;
}

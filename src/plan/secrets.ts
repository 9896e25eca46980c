import type { StepDraft } from "../domain/run";
import type { PinnedRef, PlanInput, PlanOutput } from "./deploy";
import { deployOrder } from "./deploy";
import { numberSteps } from "./steps";

/**
 * rotate-master-key: after SECRETS_MASTER_KEY changed (the old key kept in SECRETS_PREVIOUS_KEYS), every
 * secret of the environment sealed with an older key is re-sealed with the current one. No value changes
 * and nothing reaches a provider; once every environment's run succeeds the old key can be dropped.
 */
export function planRotateMasterKey(env: string, keyId: string, stale: number, batchSize = 25): PlanOutput {
  return {
    type: "rotate-master-key",
    steps: numberSteps([
      {
        kind: "reencrypt-secrets",
        summary: `Re-seal ${stale} secret${stale === 1 ? "" : "s"} of ${env} with master key "${keyId}"`,
        params: { keyId, batchSize },
      },
    ]),
    diff: [],
    risk: {
      level: "low",
      notes: [
        stale
          ? "values stay the same and no service restarts; only their encryption changes"
          : "every secret is already sealed with the current key: the run only confirms it",
      ],
    },
  };
}

/** rotate-secret: swap in the staged value, reconcile variables, redeploy its users, destroy the old value. */
export function planRotateSecret(input: Omit<PlanInput, "refs">, name: string): PlanOutput | { error: string } {
  const { spec, currentRelease } = input;
  const users = deployOrder(spec).filter((n) =>
    Object.values(spec.services[n].env).some((v) => "secret" in v && v.secret === name),
  );
  const refs: Record<string, PinnedRef> = {};
  for (const n of users) {
    const live = currentRelease?.services[n];
    if (live)
      refs[n] = {
        repo: spec.services[n].source.repo,
        ref: live.commitSha,
        sha: live.commitSha,
        message: live.commitMessage,
      };
  }
  const steps: StepDraft[] = [
    {
      kind: "resolve-ref",
      summary: `Keep the current release: ${
        Object.entries(refs)
          .map(([n, r]) => `${n} ${r.message}`)
          .join(", ") || "no service uses it yet"
      }`,
      params: { refs },
    },
    {
      kind: "swap-secret",
      summary: `Store the new value of ${name} (the old one is kept aside until the end)`,
      params: { name },
    },
    { kind: "reconcile-config", summary: `Set ${name} on ${users.join(", ") || "no service"}`, params: {} },
    ...Object.keys(refs).map((n) => ({
      kind: "deploy-service" as const,
      summary: `Redeploy ${n} at ${refs[n].message} with the new ${name}`,
      params: { service: n },
    })),
    { kind: "destroy-secret", summary: `Destroy the old value of ${name}`, params: { name } },
  ];
  return {
    type: "rotate-secret",
    steps: numberSteps(steps),
    diff: [],
    risk: {
      level: "medium",
      notes: [
        `${users.length ? `${users.join(", ")} restart with the new value` : "no service uses this secret"}; the value itself never appears in plans, logs or audit`,
      ],
    },
  };
}

import { envNameOf } from "../domain/env-ref";
import type { ArtifactStore } from "../audit/artifacts";
import type { ControlPlanePort } from "./context";
import type { ProviderSet } from "./types";
import { errorText } from "../domain/errors";
import type { RunRecord, StepRecord } from "./store";

interface FailureInput {
  run: RunRecord;
  steps: StepRecord[];
  failedStep: StepRecord;
  error: string;
  providers: ProviderSet;
  port: ControlPlanePort;
  artifacts: ArtifactStore;
}

/**
 * When a deploy fails after some services went live, puts those services back on the deployment
 * they ran before (so the environment matches its current release again) and writes incident.md.
 */
export async function compensateFailedRun(input: FailureInput): Promise<string[]> {
  const { run, steps, failedStep, error, providers, artifacts } = input;
  const restored: string[] = [];
  const problems: string[] = [];
  if (run.type === "deploy") {
    const deployedHere = steps.flatMap((s) => (s.kind === "deploy-service" && s.status === "succeeded" ? [s] : []));
    for (const s of deployedHere.reverse()) {
      const previous = s.state.previousDeploymentId;
      if (!previous) continue;
      try {
        await providers.railway.rollbackDeployment(previous);
        restored.push(s.params.service);
      } catch (e) {
        problems.push(`${s.params.service}: ${errorText(e)}`);
      }
    }
  }
  const logs = (await artifacts.list(run.id)).filter((n) => n.startsWith("logs/"));
  const release = (await input.port.loadEnv(run.plan.envId, run.plan.specRevision).catch(() => null))?.currentRelease;
  const requester = (await input.port.userName(run.requestedBy).catch(() => null)) ?? run.requestedBy ?? "unknown";
  await artifacts.put(
    run.id,
    "incident.md",
    [
      `# ${run.type} of ${run.plan.env} failed`,
      "",
      `- **Run:** ${run.id} (plan ${run.planId}), requested by ${requester}`,
      `- **When:** ${failedStep.endedAt ?? new Date().toISOString()}`,
      `- **Failed step:** ${failedStep.id} — ${failedStep.summary} (${failedStep.attempts} attempt${failedStep.attempts === 1 ? "" : "s"})`,
      `- **Error:** ${error}`,
      `- **Current release:** ${release ? `release ${release.version.replace(/^v/, "")} (unchanged)` : "none recorded"}`,
      `- **Restored to the previous deployment:** ${restored.length ? restored.join(", ") : "nothing needed (no service went live in this run)"}`,
      ...(problems.length ? [`- **Could not restore:** ${problems.join("; ")}`] : []),
      "",
      "## Steps",
      ...steps.map(
        (s) =>
          `- ${s.status === "succeeded" ? "✓" : s.status === "failed" ? "✗" : "·"} ${s.summary} — ${s.status}${s.error ? `: ${s.error}` : ""}`,
      ),
      "",
      "## Evidence",
      ...(logs.length ? logs.map((l) => `- ${l}`) : ["- no log excerpts were captured"]),
      "",
      "## Next steps",
      `- Read the logs above, fix the cause, and plan the deploy again ("deploy ${envNameOf(run.plan.env)}").`,
    ].join("\n"),
  );
  return restored;
}

/**
 * Deployment logs per step, as a run's page shows them: the build log, the pre-deploy command's output
 * and the first runtime lines of each deployment a step started, read through the Railway adapter.
 * Railway writes pre-deploy output into the deployment log before the container starts, so the line
 * "Starting Container" splits the two.
 */
import { z } from "zod";
import type { ArtifactStore } from "../audit/artifacts";
import type { RailwayApi, RailwayLogLine } from "../providers/railway/api";
import type { RunRecord, StepRecord } from "./store";

/** One log line as people see it. */
const LogLine = z.object({ at: z.string(), severity: z.string().nullable(), message: z.string() });
export type LogLine = z.infer<typeof LogLine>;

/** The logs of one step's deployment (parsed when read back from the run's artifacts). */
const StepLogs = z.object({
  stepId: z.string(),
  service: z.string(),
  deploymentId: z.string(),
  /** The step has ended: these lines will not change (they are kept with the run's artifacts). */
  final: z.boolean(),
  build: z.array(LogLine),
  preDeploy: z.array(LogLine),
  runtime: z.array(LogLine),
});
export type StepLogs = z.infer<typeof StepLogs>;

/** How many lines of each log a step shows. */
export const LOG_LINES = 200;

const CONTAINER_START = /^Starting Container\b/;

/** Steps that started a deployment, oldest first. */
export function deployingSteps(steps: StepRecord[]): (StepRecord & { deploymentId: string; service: string })[] {
  return steps.flatMap((s) => {
    const deploymentId = s.state.deploymentId;
    const service = "service" in s.params && typeof s.params.service === "string" ? s.params.service : null;
    return deploymentId && service ? [{ ...s, deploymentId, service }] : [];
  });
}

/** Reads one step's build and deployment logs and splits the deployment log at the container's start. */
export async function readStepLogs(
  railway: Pick<RailwayApi, "buildLogs" | "deploymentLogs">,
  step: StepRecord & { deploymentId: string; service: string },
  redact: (text: string) => string,
): Promise<StepLogs> {
  const [build, deploy] = await Promise.all([
    railway.buildLogs(step.deploymentId, LOG_LINES),
    railway.deploymentLogs(step.deploymentId, LOG_LINES),
  ]);
  const clean = (lines: RailwayLogLine[]): LogLine[] =>
    lines.map((l) => ({ at: l.timestamp, severity: l.severity, message: redact(l.message) }));
  const started = deploy.findIndex((l) => CONTAINER_START.test(l.message));
  const preDeploy = started < 0 ? (step.kind === "migrate" ? deploy : []) : deploy.slice(0, started);
  const runtime = started < 0 ? (step.kind === "migrate" ? [] : deploy) : deploy.slice(started);
  return {
    stepId: step.id,
    service: step.service,
    deploymentId: step.deploymentId,
    final: step.status === "succeeded" || step.status === "failed" || step.status === "skipped",
    build: clean(build),
    preDeploy: clean(preDeploy),
    runtime: clean(runtime),
  };
}

/** How long a running step's lines are served from memory before the provider is asked again. */
const CACHE_MS = 3000;

/** What the reader is built from: where finished steps' lines are kept, and how to reach Railway. */
export interface StepLogDeps {
  artifacts: ArtifactStore;
  railway(redact: (text: string) => string): Promise<Pick<RailwayApi, "buildLogs" | "deploymentLogs">>;
  redactor(envId: string): Promise<(text: string) => string>;
  now(): number;
}

/**
 * A run's deployment logs, read so watching costs little of the provider's request budget: a finished
 * step's lines are read once and kept with the run's artifacts; a running step's are read at most every
 * few seconds, however many people watch (one reader per environment object).
 */
export class StepLogReader {
  readonly #cache = new Map<string, { at: number; logs: StepLogs }>();

  constructor(private readonly deps: StepLogDeps) {}

  async read(run: RunRecord, steps: StepRecord[]): Promise<StepLogs[]> {
    const redact = await this.deps.redactor(run.plan.envId);
    const out: StepLogs[] = [];
    for (const step of deployingSteps(steps)) {
      const name = `logs/steps/${step.id}.json`;
      const kept = await this.deps.artifacts.get(run.id, name);
      if (kept) {
        out.push(StepLogs.parse(JSON.parse(await new Response(kept.body).text())));
        continue;
      }
      const key = `${run.id}/${step.id}`;
      const cached = this.#cache.get(key);
      if (cached && this.deps.now() - cached.at < CACHE_MS) {
        out.push(cached.logs);
        continue;
      }
      const logs = await readStepLogs(await this.deps.railway(redact), step, redact);
      this.#cache.set(key, { at: this.deps.now(), logs });
      if (logs.final) {
        await this.deps.artifacts.put(run.id, name, JSON.stringify(logs));
        this.#cache.delete(key);
      }
      out.push(logs);
    }
    return out;
  }
}

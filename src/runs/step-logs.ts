/**
 * Deployment logs per step, as a run's page shows them: the build log, the pre-deploy command's output
 * and the first runtime lines of each deployment a step started, read through the Railway adapter.
 * Railway writes pre-deploy output into the deployment log before the container starts, so the line
 * "Starting Container" splits the two.
 */
import type { RailwayApi, RailwayLogLine } from "../providers/railway/api";
import type { StepRecord } from "./store";

/** One log line as people see it. */
export interface LogLine {
  at: string;
  severity: string | null;
  message: string;
}

/** The logs of one step's deployment. */
export interface StepLogs {
  stepId: string;
  service: string;
  deploymentId: string;
  /** The step has ended: these lines will not change (they are kept with the run's artifacts). */
  final: boolean;
  build: LogLine[];
  preDeploy: LogLine[];
  runtime: LogLine[];
}

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

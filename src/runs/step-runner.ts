import type { AuditInput } from "../audit/chain";
import type { StepKind } from "../domain/steps";
import { ProviderError, RequestWithheld } from "../providers/types";
import type { RequestPriority } from "../budget/bucket";
import type { Receipt } from "../providers/types";
import type { EnvContext, StepContext, StepResult } from "./context";
import { appendReceipts } from "./artifacts";
import { EXECUTORS } from "./executors";
import { errorText } from "../domain/errors";
import type { RunRecord, StepRecord } from "./store";
import type { EngineDeps, ProviderSet } from "./types";
import { isoAt } from "../domain/time";

/** Attempts a step may take before a retryable failure counts as final. */
export const MAX_STEP_ATTEMPTS = 6;

/**
 * Executes one step once: builds its context, runs its executor, records receipts, persists the
 * outcome in the DO and projects it (with one audit event per outcome, none per poll) to D1.
 */
export async function executeStep(deps: EngineDeps, run: RunRecord, step: StepRecord): Promise<StepResult> {
  const { store } = deps;
  if (step.status === "pending" || step.error) {
    step.attempts += 1;
    step.error = null;
  }
  step.status = "running";
  step.startedAt ??= isoAt(deps.now());
  store.saveStep(step);
  const receipts: Receipt[] = [];
  let result: StepResult;
  try {
    result = await runExecutor(await stepContext(deps, run, step, (r) => receipts.push(r)));
  } catch (e) {
    // A request the budget held back is a wait (wall time, no attempt spent), said in the run.
    result =
      e instanceof RequestWithheld
        ? { kind: "wait", ms: e.waitMs, note: `waiting: ${e.message}` }
        : e instanceof ProviderError && e.retryable
          ? { kind: "fail", error: e.message, retryAfterMs: e.retryAfterMs ?? 1000 }
          : { kind: "fail", error: errorText(e) };
  }
  step.receiptIds.push(...receipts.map((r) => r.id));
  const failedForGood =
    (result.kind === "fail" && (result.retryAfterMs === undefined || step.attempts >= MAX_STEP_ATTEMPTS)) ||
    result.kind === "rollback";
  if (result.kind === "done") Object.assign(step, { status: "succeeded", endedAt: isoAt(deps.now()), error: null });
  if (result.kind === "fail") step.error = result.error;
  if (result.kind === "rollback" || result.kind === "halt") step.state.note = result.reason;
  if (result.kind === "rollback") step.error = result.reason;
  if (failedForGood) Object.assign(step, { status: "failed", endedAt: isoAt(deps.now()) });
  if (result.kind === "done" || result.kind === "wait") step.state.note = result.note;
  store.saveStep(step);
  store.saveOutputs(run);
  // Polls are receipts, not audit events: the chain records what changed, once per step outcome.
  const audit: AuditInput[] =
    result.kind === "wait"
      ? []
      : [
          {
            actor: "infra-chat",
            action: `step.${result.kind === "done" ? "succeeded" : result.kind === "halt" ? "halted" : failedForGood ? "failed" : "retrying"}`,
            runId: run.id,
            planId: run.planId,
            intent: step.kind,
            diffSummary:
              result.kind === "fail"
                ? result.error
                : result.kind === "rollback" || result.kind === "halt"
                  ? result.reason
                  : result.note,
            receiptHash: receipts.length ? receipts.map((r) => r.requestHash).join(",") : undefined,
            details: { stepId: step.id, receipts: step.receiptIds.length },
          },
        ];
  await deps.commit({ run, steps: [step], receipts: receipts.map((receipt) => ({ stepId: step.id, receipt })), audit });
  if (receipts.length) await appendReceipts(deps.artifacts, run.id, step.id, receipts);
  return result;
}

/**
 * The step's context: its adapters (every call a receipt) and its environment. Built inside the step's
 * try, so what fails here (an adapter that cannot be built, D1 unreadable) fails this attempt like any
 * other error, and the run goes on to retry or end — never stays running with nothing scheduled.
 */
async function stepContext(
  deps: EngineDeps,
  run: RunRecord,
  step: StepRecord,
  onReceipt: (r: Receipt) => void,
): Promise<StepContext> {
  const providers = await deps.providers(onReceipt, priorityOf(run, step));
  // A run that changed the desired state (update-spec) works on its own revision from then on.
  const env = await deps.port.loadEnv(run.plan.envId, Number(run.outputs.specRevision ?? run.plan.specRevision));
  return {
    run,
    step,
    env,
    ...providers,
    port: deps.port,
    artifacts: deps.artifacts,
    judges: deps.judges,
    save: () => {
      deps.store.saveStep(step);
      deps.store.saveOutputs(run);
    },
    now: () => deps.now(),
    pollMs: deps.pollMs,
    deployTimeoutMs: deps.deployTimeoutMs,
    timing: deps.timing,
    opsFor: (e) => opsClient(providers, deps, e),
  };
}

/**
 * Whose Railway requests go first when the budget is short: a rollback's, and a canary's judgement (its
 * reads decide whether users stay on a bad release); every other step is an ordinary run's.
 */
export function priorityOf(run: RunRecord, step: StepRecord): RequestPriority {
  const rollsBack =
    run.type === "rollback" || (run.type === "remediate" && run.plan.steps.some((s) => s.kind === "rollback-service"));
  return rollsBack || step.kind === "canary-step" ? "critical" : "run";
}

/** The step's executor; generic so the compiler pairs each kind with the executor typed for it. */
function runExecutor<K extends StepKind>(ctx: StepContext<K>): Promise<StepResult> {
  return EXECUTORS[ctx.step.kind](ctx);
}

/** The ops contract of the environment's app: the service that runs migrations (else the first HTTP one). */
async function opsClient(providers: ProviderSet, deps: EngineDeps, env: EnvContext) {
  const names = Object.keys(env.spec.services);
  const app =
    names.find((n) => env.spec.services[n].migrateCommand) ??
    names.find((n) => env.spec.services[n].kind === "service" && env.spec.services[n].healthPath);
  const binding = env.bindings.railway;
  const serviceId = app && binding?.services[app];
  if (!app || !binding || !serviceId)
    throw new Error(`${env.env} has no provisioned app service that serves the ops contract`);
  const domain = (await providers.railway.listServiceDomains(binding.projectId, binding.environmentId, serviceId))[0]
    ?.domain;
  if (!domain) throw new Error(`${app} in ${env.env} has no domain to reach its ops contract`);
  const token = await deps.port.resolveSecret(env.envId, "OPS_TOKEN");
  return providers.ops(`https://${domain}`, token ?? undefined);
}

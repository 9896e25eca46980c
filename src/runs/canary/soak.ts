/** The canary-step executor: each run keeps the judge it started its canary with (recorded by canary-split). */
import type { StepExecutor } from "../context";
import { fixedWindowStep } from "./soak-fixed";
import { sequentialStep } from "./soak-sequential";

export const canaryStep: StepExecutor<"canary-step"> = (ctx) =>
  ctx.run.outputs.canaryJudge === "sequential" ? sequentialStep(ctx) : fixedWindowStep(ctx);

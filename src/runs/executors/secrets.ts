import type { StepExecutor } from "../context";

/** The staged value becomes the secret (the old one is kept aside, sealed, until the rollout is done). */
export const swapSecret: StepExecutor<"swap-secret"> = async (ctx) => {
  const { name } = ctx.step.params;
  const outcome = await ctx.port.swapSecret(ctx.env.envId, name);
  return {
    kind: "done",
    note: outcome === "swapped" ? `${name} now holds the new value` : `${name} was already swapped`,
  };
};

/** Destroys the old value once every service that uses the secret runs with the new one. */
export const destroySecret: StepExecutor<"destroy-secret"> = async (ctx) => {
  const { name } = ctx.step.params;
  await ctx.port.destroyPreviousSecret(ctx.env.envId, name);
  return { kind: "done", note: `the previous value of ${name} is destroyed` };
};

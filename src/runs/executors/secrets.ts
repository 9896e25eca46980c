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

/**
 * Re-seals the environment's secrets with the current master key, one batch per turn (the alarm brings the
 * next), so a long list neither holds the object nor starts over after an eviction: rows already re-sealed
 * are no longer picked. A row that opens with no configured key is set aside and named at the end; the
 * others are re-sealed all the same.
 */
export const reencryptSecrets: StepExecutor<"reencrypt-secrets"> = async (ctx) => {
  const { state } = ctx.step;
  const skip = (state.unreadable ?? []).map((u) => u.name);
  const batch = await ctx.port.reencryptSecrets(ctx.env.envId, ctx.step.params.batchSize, skip);
  state.reencrypted = (state.reencrypted ?? 0) + batch.reencrypted.length;
  state.unreadable = [...(state.unreadable ?? []), ...batch.unreadable];
  ctx.save();
  const done = `${state.reencrypted} secret${state.reencrypted === 1 ? "" : "s"} re-sealed with the current master key`;
  if (batch.remaining > 0) return { kind: "wait", ms: 0, note: `${done} so far, ${batch.remaining} to go` };
  if (!state.unreadable.length) return { kind: "done", note: done };
  const names = state.unreadable.map((u) => u.name).join(", ");
  return {
    kind: "fail",
    error: `${done}; ${state.unreadable.length} could not be opened with any configured key (${names}): ${state.unreadable[0].reason}`,
  };
};

/** Destroys the old value once every service that uses the secret runs with the new one. */
export const destroySecret: StepExecutor<"destroy-secret"> = async (ctx) => {
  const { name } = ctx.step.params;
  await ctx.port.destroyPreviousSecret(ctx.env.envId, name);
  return { kind: "done", note: `the previous value of ${name} is destroyed` };
};

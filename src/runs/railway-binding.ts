import type { Bindings } from "../domain/spec";
import type { StepContext } from "./context";

type RailwayBinding = NonNullable<Bindings["railway"]>;

/** The environment's Railway ids; a step that needs them fails clearly where setup has not run. */
export function railwayOf(ctx: StepContext): RailwayBinding {
  const binding = ctx.env.bindings.railway;
  if (!binding) throw new Error(`${ctx.env.env} is not provisioned on Railway yet: run setup first`);
  return binding;
}

/** The Railway service id of one of the environment's services (twins and migration jobs included). */
export function serviceIdOf(ctx: StepContext, name: string): string {
  const id = ctx.env.bindings.railway?.services[name];
  if (!id) throw new Error(`${name} has no Railway service binding`);
  return id;
}

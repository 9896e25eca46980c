import { database } from "../db/client";
import type { Database } from "../db/client";
import type { Actor } from "../policy/approval";

/** What application services need: bindings, the database, a clock, and who is asking. */
export interface ControlContext {
  env: Env;
  db: Database;
  actor: Actor;
  now(): number;
}

/** Builds the context for one request. */
export function controlContext(env: Env, actor: Actor): ControlContext {
  return { env, db: database(env.DB), actor, now: Date.now };
}

/** The EnvironmentDO that owns an environment's runs and audit chain. */
export function environmentObject(env: Env, envId: string) {
  return env.ENVIRONMENTS.getByName(envId);
}

import type { LanguageModel } from "ai";
import { database } from "../db/client";
import type { Database } from "../db/client";
import type { Actor } from "../policy/approval";
import { chatLanguageModel } from "../wiring";

/** What application services need: bindings, the database, a clock, and who is asking. */
export interface ControlContext {
  env: Env;
  db: Database;
  actor: Actor;
  now(): number;
  /** The chat's language model, when one is configured; absent, the rule parser reads every message. */
  languageModel?: () => Promise<LanguageModel>;
}

/** Builds the context for one request. */
export function controlContext(env: Env, actor: Actor): ControlContext {
  const languageModel = chatLanguageModel(env);
  return { env, db: database(env.DB), actor, now: Date.now, ...(languageModel ? { languageModel } : {}) };
}

/** The EnvironmentDO that owns an environment's runs and audit chain. */
export function environmentObject(env: Env, envId: string) {
  return env.ENVIRONMENTS.getByName(envId);
}

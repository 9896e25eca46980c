/** What every Railway resolver receives, and the small guards they share. */
import { GraphQLError } from "graphql";
import { WorldError, type World } from "../world/store";
import type { RailwayAuth } from "./auth";

/** Per-request context: the world and who is calling. */
export interface RailwayContext {
  world: World;
  auth: RailwayAuth;
}

/** A root field resolver as graphql-js calls it from rootValue (args first, then context). */
export type RootResolver = (args: never, ctx: RailwayContext) => unknown;

/** Relay connection arguments shared by every list field. */
export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

type Scoped = {
  projectId?: unknown;
  environmentId?: unknown;
  input?: { projectId?: unknown; environmentId?: unknown };
};

/**
 * Refuses a caller Railway would refuse: no token or a project token sent as Bearer ("Not Authorized"),
 * an unknown project token ("Project Token not found"), and a project token reaching outside its own
 * project or environment (named by the arguments) — as "Not Authorized".
 */
export function checkAccess(auth: RailwayAuth, args: unknown): void {
  if (auth.kind === "none" || auth.kind === "project-as-bearer") throw new GraphQLError("Not Authorized");
  if (auth.kind === "unknown-project-token") throw new GraphQLError("Project Token not found");
  if (auth.kind !== "project") return;
  const a = (args ?? {}) as Scoped;
  const projectId = a.projectId ?? a.input?.projectId;
  const environmentId = a.environmentId ?? a.input?.environmentId;
  if ((projectId && projectId !== auth.projectId) || (environmentId && environmentId !== auth.environmentId))
    throw new GraphQLError("Not Authorized");
}

/** Wraps a resolver so it answers as Railway does to callers it refuses (see checkAccess). */
export function authed<A>(
  resolve: (args: A, ctx: RailwayContext) => unknown,
): (args: A, ctx: RailwayContext) => unknown {
  return (args, ctx) => {
    checkAccess(ctx.auth, args);
    return resolve(args, ctx);
  };
}

/** Like authed, and project tokens are refused outright: listing and creating projects needs an account token. */
export function accountOnly<A>(
  resolve: (args: A, ctx: RailwayContext) => unknown,
): (args: A, ctx: RailwayContext) => unknown {
  return authed((args: A, ctx) => {
    if (ctx.auth.kind === "project") throw new GraphQLError("Not Authorized");
    return resolve(args, ctx);
  });
}

/** The value, or Railway's "<Thing> not found" error. */
export function need<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new WorldError(`${what} not found`);
  return value;
}

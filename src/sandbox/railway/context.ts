/** What every Railway resolver receives, and the small guards they share. */
import { GraphQLError } from "graphql";
import { WorldError, type World } from "../world/store";

/** Per-request context: the world and whether the caller presented a token. */
export interface RailwayContext {
  world: World;
  authorized: boolean;
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

/** Wraps a resolver so it answers "Not Authorized" (Railway's wording) without a token. */
export function authed<A>(
  resolve: (args: A, ctx: RailwayContext) => unknown,
): (args: A, ctx: RailwayContext) => unknown {
  return (args, ctx) => {
    if (!ctx.authorized) throw new GraphQLError("Not Authorized");
    return resolve(args, ctx);
  };
}

/** The value, or Railway's "<Thing> not found" error. */
export function need<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new WorldError(`${what} not found`);
  return value;
}

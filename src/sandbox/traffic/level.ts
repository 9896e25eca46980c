/**
 * `POST /sandbox/traffic`: how busy a service is. A canary's statistics depend on how many requests it
 * sees per check; a quiet api gives the judge a few dozen, a busy one hundreds.
 */
import { z } from "zod";
import { findServiceIn } from "../inspect";
import type { SandboxResult } from "../types";
import type { World } from "../world/store";
import { BASE_RPS, groupNameOf, groupRps, setGroupRps } from "./shares";

/** Most requests per second a group may get: every check generates each one. */
export const MAX_RPS = 100;

export const trafficLevelSchema = z
  .object({
    env: z.string().min(1),
    /** The stable or the canary service: both name the group they share. */
    service: z.string().min(1),
    /** Requests per second for the whole group; null goes back to the default. */
    rps: z.number().int().min(1).max(MAX_RPS).nullable(),
  })
  .strict();
export type TrafficLevelInput = z.infer<typeof trafficLevelSchema>;

/** Sets the group's level; stable and canary split it by the load balancer's weights as before. */
export function setTrafficLevel(
  world: World,
  input: TrafficLevelInput,
): SandboxResult<{ env: string; service: string; rps: number; default: number }> {
  const group = groupNameOf(input.service);
  const found = findServiceIn(world, input.env, group);
  if (!found) return { ok: false, code: "not_found", message: `no service ${group} in ${input.env}` };
  setGroupRps(world, found.env.id, group, input.rps);
  return {
    ok: true,
    value: { env: found.env.name, service: group, rps: groupRps(world, found.env.id, group), default: BASE_RPS },
  };
}

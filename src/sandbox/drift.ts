/**
 * `POST /sandbox/drift`: change the world behind Infra Chat's back, as a person editing the provider's
 * dashboard would (API.md "Sandbox") — a service's replica count, its auto-deploy switch, or its variables
 * (null deletes one).
 */
import { z } from "zod";
import { findServiceIn } from "./inspect";
import type { SandboxResult } from "./types";
import { autoDeployStatus, setAutoDeploy } from "./world/auto-deploy";
import { getInstance, updateInstanceSettings } from "./world/entities";
import type { World } from "./world/store";
import { deleteVariable, upsertVariables } from "./world/variables";

export const driftSchema = z
  .object({
    env: z.string().min(1),
    service: z.string().min(1),
    replicas: z.number().int().min(0).max(50).optional(),
    /** Auto-deploy switched on or off in the dashboard (the service must be connected to a repo to turn it on). */
    autoDeploy: z.boolean().optional(),
    variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().nullable()).optional(),
  })
  .strict();
export type DriftInput = z.infer<typeof driftSchema>;

/** Applies one out-of-band change; the instance and variables are what Railway's API then reports. */
export function applyDrift(
  world: World,
  input: DriftInput,
): SandboxResult<{
  env: string;
  service: string;
  replicas: number | null;
  autoDeploy: boolean;
  variables: string[];
}> {
  const found = findServiceIn(world, input.env, input.service);
  const instance = found && getInstance(world, found.service.id, found.env.id);
  if (!found || !instance)
    return { ok: false, code: "not_found", message: `no service ${input.service} in ${input.env}` };
  if (input.autoDeploy === true && !autoDeployStatus(instance).canEnable)
    return {
      ok: false,
      code: "invalid_request",
      message: `${input.service} in ${input.env} has no repository to deploy from`,
    };
  if (input.replicas !== undefined) updateInstanceSettings(world, instance, { numReplicas: input.replicas });
  if (input.autoDeploy !== undefined) {
    const current = getInstance(world, found.service.id, found.env.id);
    if (current) setAutoDeploy(world, current, input.autoDeploy);
  }
  const changed: string[] = [];
  for (const [name, value] of Object.entries(input.variables ?? {})) {
    if (value === null) {
      if (deleteVariable(world, found.env.id, found.service.id, name)) changed.push(name);
    } else changed.push(...upsertVariables(world, found.env.id, found.service.id, { [name]: value }));
  }
  const after = getInstance(world, found.service.id, found.env.id);
  return {
    ok: true,
    value: {
      env: found.env.name,
      service: found.service.name,
      replicas: after?.settings.numReplicas ?? null,
      autoDeploy: after ? autoDeployStatus(after).enabled : false,
      variables: changed,
    },
  };
}

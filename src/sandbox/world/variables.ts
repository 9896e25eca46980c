/** Variables of service instances and shared environment variables, with Railway reference rendering. */
import { getService, listServices, type ServiceRow } from "./entities";
import type { World } from "./store";

/** service_id used for an environment's shared variables. */
export const SHARED = "";

/** Raw (unrendered) variables of one service in one environment, or the shared ones. */
export function getVariables(world: World, environmentId: string, serviceId: string = SHARED): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of world.rows<{ name: string; value: string }>(
    "SELECT name, value FROM variables WHERE environment_id = ? AND service_id = ? ORDER BY name",
    environmentId,
    serviceId,
  ))
    out[r.name] = r.value;
  return out;
}

/**
 * Upserts variables; `replace` deletes every variable not in the set first.
 * Returns the names whose value actually changed (added, modified or removed).
 */
export function upsertVariables(
  world: World,
  environmentId: string,
  serviceId: string,
  variables: Record<string, string>,
  replace = false,
): string[] {
  const before = getVariables(world, environmentId, serviceId);
  const changed = new Set<string>();
  if (replace) {
    for (const name of Object.keys(before)) if (!(name in variables)) changed.add(name);
    world.run("DELETE FROM variables WHERE environment_id = ? AND service_id = ?", environmentId, serviceId);
  }
  for (const [name, value] of Object.entries(variables)) {
    if (before[name] !== value) changed.add(name);
    world.run(
      "INSERT INTO variables VALUES (?, ?, ?, ?) ON CONFLICT(environment_id, service_id, name) DO UPDATE SET value = excluded.value",
      environmentId,
      serviceId,
      name,
      value,
    );
  }
  return [...changed];
}

/** Deletes one variable; returns whether it existed. */
export function deleteVariable(world: World, environmentId: string, serviceId: string, name: string): boolean {
  const existed = name in getVariables(world, environmentId, serviceId);
  world.run(
    "DELETE FROM variables WHERE environment_id = ? AND service_id = ? AND name = ?",
    environmentId,
    serviceId,
    name,
  );
  return existed;
}

const REFERENCE = /\$\{\{\s*([A-Za-z0-9_.\- ]+?)\s*\}\}/g;

/**
 * Resolves `${{Service.VAR}}`, `${{shared.VAR}}` and `${{VAR}}` (same service) references as Railway
 * renders them for a deployment; unresolvable references render empty, as on Railway.
 */
export function renderVariables(
  world: World,
  projectId: string,
  environmentId: string,
  serviceId: string,
): Record<string, string> {
  const services = new Map<string, ServiceRow>(listServices(world, projectId).map((s) => [s.name, s]));
  const varsOf = (id: string) => getVariables(world, environmentId, id);
  // `self` is the service whose value is being rendered: a bare ${{VAR}} inside Postgres's
  // DATABASE_URL means Postgres's VAR even when the api references it.
  const lookup = (ref: string, self: Record<string, string>, depth: number): string => {
    const dot = ref.lastIndexOf(".");
    const [scope, name] = dot < 0 ? ["", ref] : [ref.slice(0, dot), ref.slice(dot + 1)];
    const target =
      scope === ""
        ? self
        : scope === "shared"
          ? varsOf(SHARED)
          : services.has(scope)
            ? varsOf(services.get(scope)?.id ?? "")
            : {};
    const raw = target[name];
    return raw === undefined ? "" : render(raw, target, depth + 1);
  };
  // Depth-limited so a reference cycle renders empty instead of recursing forever.
  const render = (value: string, self: Record<string, string>, depth: number): string =>
    depth > 5 ? "" : value.replace(REFERENCE, (_m, ref: string) => lookup(ref.trim(), self, depth));
  const own = varsOf(serviceId);
  return Object.fromEntries(Object.entries(own).map(([name, value]) => [name, render(value, own, 0)]));
}

/** Services of the environment whose variables reference one of the given shared variable names. */
export function servicesReferencingShared(world: World, environmentId: string, names: string[]): string[] {
  const rows = world.rows<{ service_id: string; value: string }>(
    "SELECT service_id, value FROM variables WHERE environment_id = ? AND service_id != ''",
    environmentId,
  );
  const hits = new Set<string>();
  for (const r of rows) {
    if (names.some((n) => r.value.includes(`shared.${n}`))) hits.add(r.service_id);
  }
  return [...hits].filter((id) => getService(world, id) !== null);
}

/** Railway-provided service domains (`<service>-<env>-<random>.up.railway.app`). */
import { getEnvironment, getService } from "./entities";
import { newId, randomHex, WorldError, type World } from "./store";

export const RAILWAY_APP_SUFFIX = "up.railway.app";

export type DomainRow = {
  id: string;
  project_id: string;
  environment_id: string;
  service_id: string;
  domain: string;
  target_port: number | null;
  created_at: number;
};

/** Creates a service domain; Railway lowercases and slugs the service and environment names. */
export function createServiceDomain(
  world: World,
  serviceId: string,
  environmentId: string,
  targetPort: number | null,
): DomainRow {
  const service = getService(world, serviceId);
  const env = getEnvironment(world, environmentId);
  if (!service || !env) throw new WorldError("ServiceInstance not found");
  const slug = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "");
  const row: DomainRow = {
    id: newId(),
    project_id: service.project_id,
    environment_id: env.id,
    service_id: service.id,
    domain: `${slug(service.name)}-${slug(env.name)}-${randomHex(2)}.${RAILWAY_APP_SUFFIX}`,
    target_port: targetPort,
    created_at: world.now(),
  };
  world.run(
    "INSERT INTO domains VALUES (?, ?, ?, ?, ?, ?, ?)",
    row.id,
    row.project_id,
    row.environment_id,
    row.service_id,
    row.domain,
    row.target_port,
    row.created_at,
  );
  return row;
}

/** Service domains of one instance (or of everything when no filter). */
export function listDomains(world: World, filter: { serviceId?: string; environmentId?: string } = {}): DomainRow[] {
  return world.rows<DomainRow>(
    "SELECT * FROM domains WHERE (?1 IS NULL OR service_id = ?1) AND (?2 IS NULL OR environment_id = ?2) ORDER BY created_at, rowid",
    filter.serviceId ?? null,
    filter.environmentId ?? null,
  );
}

/** The domain row for a hostname, or null. */
export function findDomain(world: World, hostname: string): DomainRow | null {
  return world.first<DomainRow>("SELECT * FROM domains WHERE domain = ?", hostname.toLowerCase());
}

/** Deletes a service domain; returns whether it existed. */
export function deleteServiceDomain(world: World, id: string): boolean {
  const existed = world.first("SELECT 1 AS one FROM domains WHERE id = ?", id) !== null;
  world.run("DELETE FROM domains WHERE id = ?", id);
  return existed;
}

/** Projects, environments, services and service instances of the simulated Railway account. */
import { newId, parseJson, type World } from "./store";

export type ProjectRow = {
  id: string;
  name: string;
  description: string | null;
  created_at: number;
  updated_at: number;
};
export type EnvironmentRow = {
  id: string;
  project_id: string;
  name: string;
  source_environment_id: string | null;
  is_ephemeral: number;
  created_at: number;
  updated_at: number;
};
export type ServiceRow = {
  id: string;
  project_id: string;
  name: string;
  branch: string | null;
  icon: string | null;
  template_id: string | null;
  created_at: number;
  updated_at: number;
};
type InstanceRowRaw = {
  id: string;
  service_id: string;
  environment_id: string;
  settings: string;
  created_at: number;
  updated_at: number;
};

/**
 * Per-environment settings of a service: the ServiceInstanceUpdateInput fields, minus registry
 * credentials (never kept), plus the resource limits serviceInstanceLimitsUpdate sets. JSON-typed inputs
 * (multiRegionConfig, nixpacksPlan) are kept as JSON text so the type stays flat enough to cross DO RPC.
 */
export interface InstanceSettings {
  limits?: { memoryGB?: number | null; vCPUs?: number | null };
  /** serviceInstanceAutoDeployUpdate; absent means on for a repo source (Railway's default), see world/auto-deploy.ts. */
  autoDeploy?: boolean | null;
  source?: { repo?: string | null; image?: string | null } | null;
  startCommand?: string | null;
  buildCommand?: string | null;
  preDeployCommand?: string[] | null;
  healthcheckPath?: string | null;
  healthcheckTimeout?: number | null;
  numReplicas?: number | null;
  region?: string | null;
  cronSchedule?: string | null;
  rootDirectory?: string | null;
  restartPolicyType?: string | null;
  restartPolicyMaxRetries?: number | null;
  sleepApplication?: boolean | null;
  builder?: string | null;
  dockerfilePath?: string | null;
  drainingSeconds?: number | null;
  overlapSeconds?: number | null;
  railwayConfigFile?: string | null;
  watchPatterns?: string[] | null;
  ipv6EgressEnabled?: boolean | null;
  multiRegionConfig?: string | null;
  nixpacksPlan?: string | null;
}

export interface InstanceRow {
  id: string;
  serviceId: string;
  environmentId: string;
  settings: InstanceSettings;
  createdAt: number;
  updatedAt: number;
}

/** Creates a project with no environments. */
export function createProject(world: World, name: string, description: string | null = null): ProjectRow {
  const now = world.now();
  const row: ProjectRow = { id: newId(), name, description, created_at: now, updated_at: now };
  world.run("INSERT INTO projects VALUES (?, ?, ?, ?, ?)", row.id, row.name, row.description, now, now);
  return row;
}

/** All projects, oldest first. */
export function listProjects(world: World): ProjectRow[] {
  return world.rows<ProjectRow>("SELECT * FROM projects ORDER BY created_at, rowid");
}

/** One project or null. */
export function getProject(world: World, id: string): ProjectRow | null {
  return world.first<ProjectRow>("SELECT * FROM projects WHERE id = ?", id);
}

/** Creates an environment of a project. */
export function createEnvironment(
  world: World,
  projectId: string,
  name: string,
  sourceId: string | null = null,
  ephemeral = false,
): EnvironmentRow {
  const now = world.now();
  const row: EnvironmentRow = {
    id: newId(),
    project_id: projectId,
    name,
    source_environment_id: sourceId,
    is_ephemeral: ephemeral ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  world.run(
    "INSERT INTO environments VALUES (?, ?, ?, ?, ?, ?, ?)",
    row.id,
    projectId,
    name,
    sourceId,
    row.is_ephemeral,
    now,
    now,
  );
  return row;
}

/** Environments of a project, oldest first. */
export function listEnvironments(world: World, projectId: string): EnvironmentRow[] {
  return world.rows<EnvironmentRow>(
    "SELECT * FROM environments WHERE project_id = ? ORDER BY created_at, rowid",
    projectId,
  );
}

/** One environment or null. */
export function getEnvironment(world: World, id: string): EnvironmentRow | null {
  return world.first<EnvironmentRow>("SELECT * FROM environments WHERE id = ?", id);
}

/** Creates a service row (no instances). */
export function createServiceRow(
  world: World,
  projectId: string,
  name: string,
  branch: string | null,
  icon: string | null = null,
  templateId: string | null = null,
): ServiceRow {
  const now = world.now();
  const row: ServiceRow = {
    id: newId(),
    project_id: projectId,
    name,
    branch,
    icon,
    template_id: templateId,
    created_at: now,
    updated_at: now,
  };
  world.run(
    "INSERT INTO services VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    row.id,
    projectId,
    name,
    branch,
    icon,
    templateId,
    now,
    now,
  );
  return row;
}

/** Services of a project, oldest first. */
export function listServices(world: World, projectId: string): ServiceRow[] {
  return world.rows<ServiceRow>("SELECT * FROM services WHERE project_id = ? ORDER BY created_at, rowid", projectId);
}

/** One service or null. */
export function getService(world: World, id: string): ServiceRow | null {
  return world.first<ServiceRow>("SELECT * FROM services WHERE id = ?", id);
}

function toInstance(raw: InstanceRowRaw): InstanceRow {
  return {
    id: raw.id,
    serviceId: raw.service_id,
    environmentId: raw.environment_id,
    settings: parseJson<InstanceSettings>(raw.settings),
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
  };
}

/** Creates the instance of a service in an environment (no-op returning the existing one if present). */
export function ensureInstance(
  world: World,
  serviceId: string,
  environmentId: string,
  settings: InstanceSettings,
): InstanceRow {
  const existing = getInstance(world, serviceId, environmentId);
  if (existing) return existing;
  const now = world.now();
  const id = newId();
  world.run(
    "INSERT INTO instances VALUES (?, ?, ?, ?, ?, ?)",
    id,
    serviceId,
    environmentId,
    JSON.stringify(settings),
    now,
    now,
  );
  return { id, serviceId, environmentId, settings, createdAt: now, updatedAt: now };
}

/** The instance of a service in an environment, or null. */
export function getInstance(world: World, serviceId: string, environmentId: string): InstanceRow | null {
  const raw = world.first<InstanceRowRaw>(
    "SELECT * FROM instances WHERE service_id = ? AND environment_id = ?",
    serviceId,
    environmentId,
  );
  return raw ? toInstance(raw) : null;
}

/** Instances of an environment, or of a service, or all of them. */
export function listInstances(
  world: World,
  filter: { environmentId?: string; serviceId?: string } = {},
): InstanceRow[] {
  return world
    .rows<InstanceRowRaw>(
      "SELECT * FROM instances WHERE (?1 IS NULL OR environment_id = ?1) AND (?2 IS NULL OR service_id = ?2) ORDER BY created_at, rowid",
      filter.environmentId ?? null,
      filter.serviceId ?? null,
    )
    .map(toInstance);
}

/** Merges resource limits into an instance's (serviceInstanceLimitsUpdate): absent keys stay, null resets. */
export function updateInstanceLimits(
  world: World,
  instance: InstanceRow,
  patch: { memoryGB?: number | null; vCPUs?: number | null },
): InstanceRow {
  const limits = { ...instance.settings.limits };
  if (patch.memoryGB !== undefined) limits.memoryGB = patch.memoryGB;
  if (patch.vCPUs !== undefined) limits.vCPUs = patch.vCPUs;
  return updateInstanceSettings(world, instance, { limits });
}

/** Merges settings into an instance: absent keys stay, explicit null resets (Railway's update semantics). */
export function updateInstanceSettings(world: World, instance: InstanceRow, patch: InstanceSettings): InstanceRow {
  const settings: InstanceSettings = { ...instance.settings };
  for (const key of Object.keys(patch) as (keyof InstanceSettings)[]) {
    if (patch[key] !== undefined) Object.assign(settings, { [key]: patch[key] });
  }
  const now = world.now();
  world.run(
    "UPDATE instances SET settings = ?, updated_at = ? WHERE id = ?",
    JSON.stringify(settings),
    now,
    instance.id,
  );
  return { ...instance, settings, updatedAt: now };
}

import type { ComponentSpec, EnvironmentSpec, ServiceSpec, VarSpec } from "../domain/spec";

/** One backing component as it runs in the local compose project. */
export interface LocalComponent {
  key: string;
  type: ComponentSpec["type"];
  /** Compose service name, which is also its hostname on the compose network. */
  host: string;
  /** Only the first component of a type publishes its ports, so two never fight over one host port. */
  publishPorts: boolean;
}

/** What every local generator shares: names, hosts and ports of the local stack. */
export interface LocalTopology {
  slug: string;
  projectName: string;
  components: LocalComponent[];
  /** App services of both specs (local wins), in the local spec's order. */
  services: [string, ServiceSpec][];
  /** The service that receives webhooks, or null when no service listens on a port. */
  api: { name: string; port: number } | null;
  database: string;
}

/** Fixed, non-secret credentials of the throwaway local containers. */
export const LOCAL_CREDENTIALS = {
  postgresUser: "postgres",
  postgresPassword: "postgres",
  minioUser: "minioadmin",
  minioPassword: "minioadmin",
  minioRegion: "us-east-1",
} as const;

/** The mail sink SendGrid traffic goes to locally (Mailpit). */
export const MAIL_SINK = { host: "mailpit", smtpPort: 1025, uiPort: 8025 } as const;

export const COMPONENT_PORTS = { postgres: 5432, redis: 6379, storage: 9000 } as const;
/** The variable Railway binds on a service that depends on a component of this type (as reconcile-config does). */
export const BOUND_OUTPUT: Partial<Record<ComponentSpec["type"], string>> = {
  postgres: "DATABASE_URL",
  redis: "REDIS_URL",
};
const HOST_BY_TYPE = { postgres: "postgres", redis: "redis", storage: "minio" } as const;
// Compose services the generators add themselves; a component must not take their names.
const RESERVED_HOSTS = ["mailpit", "cloudflared"];

const SLUG = /^[a-z0-9][a-z0-9-]*$/;

/** Derives the local stack from the local spec and the reference (staging) spec it mirrors. */
export function localTopology(input: {
  projectSlug: string;
  projectName: string;
  local: EnvironmentSpec;
  reference: EnvironmentSpec;
}): LocalTopology {
  // The slug reaches shell scripts, compose project names and bucket names unquoted.
  if (!SLUG.test(input.projectSlug)) throw new Error(`project slug "${input.projectSlug}" is not [a-z0-9-]`);
  const services = mergeRecords(input.local.services, input.reference.services);
  const componentSpecs = mergeRecords(input.local.components, input.reference.components).sort(([a], [b]) =>
    a.localeCompare(b),
  );
  const used = new Set([...services.map(([name]) => name), ...RESERVED_HOSTS]);
  const components = componentSpecs.map(([key, spec]): LocalComponent => {
    const base: string = HOST_BY_TYPE[spec.type];
    const host = used.has(base) ? `${base}-${key}` : base;
    used.add(host);
    if (spec.type === "storage") used.add(`${host}-init`);
    return { key, type: spec.type, host, publishPorts: host === base };
  });
  const api =
    services.find(([name, s]) => name === "api" && s.port) ?? services.find(([, s]) => s.kind === "service" && s.port);
  return {
    slug: input.projectSlug,
    projectName: input.projectName,
    components,
    services,
    api: api?.[1].port ? { name: api[0], port: api[1].port } : null,
    database: input.projectSlug.replace(/-/g, "_"),
  };
}

/** Name of the bucket MinIO creates for a storage component. */
export function bucketName(t: LocalTopology, component: LocalComponent): string {
  return `${t.slug}-${component.key}`;
}

/** Init container that creates a storage component's bucket. */
export function bucketInitService(component: LocalComponent): string {
  return `${component.host}-init`;
}

/**
 * Local value of a component output (`DATABASE_URL`, `REDIS_URL`, `ENDPOINT`…) as seen from a container
 * on the compose network, or null when the local stack has no equivalent.
 */
export function componentOutputValue(t: LocalTopology, componentKey: string, output: string): string | null {
  const c = t.components.find((x) => x.key === componentKey);
  if (!c) return null;
  const publicHost = /PUBLIC/.test(output) ? "localhost" : c.host;
  const { postgresUser: pgUser, postgresPassword: pgPass, minioUser, minioPassword, minioRegion } = LOCAL_CREDENTIALS;
  if (c.type === "postgres") {
    const fixed: Record<string, string> = {
      PGHOST: c.host,
      PGPORT: "5432",
      PGUSER: pgUser,
      PGPASSWORD: pgPass,
      PGDATABASE: t.database,
      POSTGRES_USER: pgUser,
      POSTGRES_PASSWORD: pgPass,
      POSTGRES_DB: t.database,
    };
    if (output in fixed) return fixed[output];
    return /URL$/.test(output) ? `postgresql://${pgUser}:${pgPass}@${publicHost}:5432/${t.database}` : null;
  }
  if (c.type === "redis") {
    const fixed: Record<string, string> = {
      REDISHOST: c.host,
      REDISPORT: "6379",
      REDISUSER: "default",
      REDISPASSWORD: "",
    };
    if (output in fixed) return fixed[output];
    return /URL$/.test(output) ? `redis://${publicHost}:6379` : null;
  }
  // Storage outputs are named freely (Railway buckets: BUCKET, ACCESS_KEY_ID, SECRET_ACCESS_KEY,
  // REGION, ENDPOINT), so they are matched by what they mean; SECRET before ACCESS_KEY on purpose.
  if (/SECRET/.test(output)) return minioPassword;
  if (/ACCESS_KEY/.test(output)) return minioUser;
  if (/REGION/.test(output)) return minioRegion;
  if (/BUCKET/.test(output)) return bucketName(t, c);
  if (/ENDPOINT|URL|HOST/.test(output)) return `http://${publicHost}:${COMPONENT_PORTS.storage}`;
  return null;
}

/** Every variable of a service in either spec, local first: what the container actually sees. */
export function serviceVars(name: string, local: EnvironmentSpec, reference: EnvironmentSpec): Record<string, VarSpec> {
  return { ...(reference.services[name]?.env ?? {}), ...(local.services[name]?.env ?? {}) };
}

function mergeRecords<T>(primary: Record<string, T>, secondary: Record<string, T>): [string, T][] {
  const extra = Object.entries(secondary).filter(([k]) => !(k in primary));
  return [...Object.entries(primary), ...extra];
}

/** The environment a local stack mirrors: staging, else the first other environment of the project. */
export function mirroredEnvironment<T extends { name: string }>(envs: T[], localName: string): T | undefined {
  return envs.find((e) => e.name === "staging" && e.name !== localName) ?? envs.find((e) => e.name !== localName);
}

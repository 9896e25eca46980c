/** Database templates (postgres, redis) and their deploy workflows, as `railway add --database` uses them. */
import { createServiceRow, ensureInstance, getInstance, listServices, type ServiceRow } from "./entities";
import { deployService } from "./deployments";
import { newId, randomHex, WorldError, type World } from "./store";
import { upsertVariables } from "./variables";

/** A template's variable entry in serializedConfig (the CLI fills `value` from `defaultValue`). */
interface TemplateVariable {
  value?: string;
  defaultValue?: string;
  description?: string;
  isOptional?: boolean;
}

interface TemplateServiceConfig {
  name: string;
  icon?: string;
  source: { image: string };
  variables: Record<string, TemplateVariable>;
  networking?: Record<string, unknown>;
}

/** serializedConfig as the world reads it back (opaque JSON on the wire). */
export interface SerializedTemplateConfig {
  services: Record<string, TemplateServiceConfig>;
}

export interface TemplateDefinition {
  id: string;
  code: string;
  name: string;
  description: string;
  serializedConfig: SerializedTemplateConfig;
}

const v = (defaultValue: string, description: string): TemplateVariable => ({ defaultValue, description });

/** The templates the sandbox knows (codes as the CLI sends them). */
export const TEMPLATES: readonly TemplateDefinition[] = [
  {
    id: "5a1d6f5e-8e0b-4b44-9a83-0f0b1f6f7c01",
    code: "postgres",
    name: "PostgreSQL",
    description: "The world's most advanced open source database",
    serializedConfig: {
      services: {
        "1f7c2a4e-0000-4000-8000-000000000001": {
          name: "Postgres",
          icon: "https://devicons.railway.app/i/postgresql.svg",
          source: { image: "ghcr.io/railwayapp-templates/postgres-ssl:17" },
          variables: {
            PGHOST: v("postgres.railway.internal", "Private host"),
            PGPORT: v("5432", "Port"),
            PGUSER: v("postgres", "User"),
            PGPASSWORD: v("${{secret(32)}}", "Password"),
            PGDATABASE: v("railway", "Database"),
            DATABASE_URL: v(
              "postgresql://${{PGUSER}}:${{PGPASSWORD}}@${{PGHOST}}:${{PGPORT}}/${{PGDATABASE}}",
              "Connection URL",
            ),
          },
          networking: { tcpProxies: { "5432": {} } },
        },
      },
    },
  },
  {
    id: "5a1d6f5e-8e0b-4b44-9a83-0f0b1f6f7c02",
    code: "redis",
    name: "Redis",
    description: "An in-memory key-value store",
    serializedConfig: {
      services: {
        "1f7c2a4e-0000-4000-8000-000000000002": {
          name: "Redis",
          icon: "https://devicons.railway.app/i/redis.svg",
          source: { image: "redis:8.2" },
          variables: {
            REDISHOST: v("redis.railway.internal", "Private host"),
            REDISPORT: v("6379", "Port"),
            REDISUSER: v("default", "User"),
            REDISPASSWORD: v("${{secret(32)}}", "Password"),
            REDIS_URL: v("redis://${{REDISUSER}}:${{REDISPASSWORD}}@${{REDISHOST}}:${{REDISPORT}}", "Connection URL"),
          },
        },
      },
    },
  },
];

/** A template by code or id, or null. */
export function findTemplate(query: { code?: string | null; id?: string | null }): TemplateDefinition | null {
  return TEMPLATES.find((t) => (query.code && t.code === query.code) || (query.id && t.id === query.id)) ?? null;
}

/** Expands template functions (`${{secret(32)}}`) once, at deploy time, as Railway does; references stay. */
export function expandTemplateFunctions(value: string): string {
  return value.replace(/\$\{\{\s*secret\((\d+)\)\s*\}\}/g, (_m, n: string) =>
    randomHex(Math.ceil(Number(n) / 2)).slice(0, Number(n)),
  );
}

/**
 * Deploys each service of a template into one environment. A same-named service without an instance
 * there gets one (Railway's "sync to environment"); a clash inside the environment gets a suffix.
 */
export function deployTemplate(
  world: World,
  input: { templateId: string; serializedConfig: unknown; projectId: string; environmentId: string },
): { workflowId: string; services: ServiceRow[] } {
  const template = findTemplate({ id: input.templateId });
  if (!template) throw new WorldError("Template not found");
  const config = isTemplateConfig(input.serializedConfig) ? input.serializedConfig : template.serializedConfig;
  const created: ServiceRow[] = [];
  for (const svc of Object.values(config.services)) {
    const existing = listServices(world, input.projectId).filter(
      (s) => s.name === svc.name || s.name.startsWith(`${svc.name}-`),
    );
    const reusable = existing.find((s) => s.name === svc.name && !getInstance(world, s.id, input.environmentId));
    const name = reusable || existing.length === 0 ? svc.name : `${svc.name}-${randomHex(2)}`;
    const service = reusable ?? createServiceRow(world, input.projectId, name, null, svc.icon ?? null, template.id);
    ensureInstance(world, service.id, input.environmentId, { source: { image: svc.source.image }, numReplicas: 1 });
    const variables: Record<string, string> = {};
    for (const [key, entry] of Object.entries(svc.variables)) {
      variables[key] = expandTemplateFunctions(entry.value ?? entry.defaultValue ?? "");
    }
    upsertVariables(world, input.environmentId, service.id, variables);
    deployService(world, service.id, input.environmentId, null, "template");
    created.push(service);
  }
  const workflowId = newId();
  world.run("INSERT INTO workflows VALUES (?, ?, ?)", workflowId, created[0]?.id ?? "", world.now());
  return { workflowId, services: created };
}

function isTemplateConfig(value: unknown): value is SerializedTemplateConfig {
  if (typeof value !== "object" || value === null || !("services" in value)) return false;
  const services = value.services;
  if (typeof services !== "object" || services === null) return false;
  return Object.values(services).every(
    (s: unknown) => typeof s === "object" && s !== null && "name" in s && "source" in s && "variables" in s,
  );
}

/** workflowStatus: Running for two phase lengths after the deploy, then Complete. */
export function workflowStatus(
  world: World,
  workflowId: string,
): { status: "Complete" | "Running" | "NotFound"; error: string | null } {
  const row = world.first<{ created_at: number }>("SELECT created_at FROM workflows WHERE id = ?", workflowId);
  if (!row) return { status: "NotFound", error: "Workflow not found" };
  return { status: world.now() >= row.created_at + 2 * world.phaseMs ? "Complete" : "Running", error: null };
}

import type { EnvironmentSpec, ServiceSpec, VarSpec } from "../domain/spec";
import {
  bucketInitService,
  bucketName,
  COMPONENT_PORTS,
  LOCAL_CREDENTIALS,
  MAIL_SINK,
  serviceVars,
  type LocalComponent,
  type LocalTopology,
} from "./topology";
import type { YamlValue } from "./yaml";

type YamlMap = { [key: string]: YamlValue };

/** Path of the tunnel config inside the bootstrap folder, mounted into the cloudflared container. */
export const TUNNEL_CONFIG_PATH = "cloudflared/config.yml";
/** Compose profile of the tunnel: it needs a token, so `docker compose up` alone leaves it off. */
export const TUNNEL_PROFILE = "tunnel";
/** Compose profile of scheduled jobs, which run on demand (`docker compose run --rm <name>`). */
export const CRON_PROFILE = "cron";

const HEALTH_TIMING = { interval: "5s", timeout: "5s", retries: 10 } as const;

/** The compose project of the local stack: components, mail sink, app services, tunnel connector. */
export function composeDocument(t: LocalTopology, local: EnvironmentSpec, reference: EnvironmentSpec): YamlMap {
  const services: YamlMap = {};
  const volumes: YamlMap = {};
  for (const c of t.components) {
    Object.assign(services, componentServices(t, c));
    volumes[`${c.host}-data`] = {};
  }
  services[MAIL_SINK.host] = {
    image: "axllent/mailpit:latest",
    ports: [`${MAIL_SINK.uiPort}:${MAIL_SINK.uiPort}`, `${MAIL_SINK.smtpPort}:${MAIL_SINK.smtpPort}`],
    // Apps configured for SendGrid's SMTP relay authenticate (user "apikey"); the sink must accept that.
    environment: { MP_SMTP_AUTH_ACCEPT_ANY: "1", MP_SMTP_AUTH_ALLOW_INSECURE: "1" },
    restart: "unless-stopped",
  };
  for (const [name, spec] of t.services)
    services[name] = appService(t, name, spec, serviceVars(name, local, reference));
  if (t.api) {
    services.cloudflared = {
      image: "cloudflare/cloudflared:latest",
      profiles: [TUNNEL_PROFILE],
      command: ["tunnel", "--no-autoupdate", "--config", "/etc/cloudflared/config.yml", "run"],
      // `:-` rather than `:?`: a missing token must not stop `docker compose up` for the other services.
      environment: { TUNNEL_TOKEN: "${CLOUDFLARE_TUNNEL_TOKEN:-}" },
      volumes: [`./${TUNNEL_CONFIG_PATH}:/etc/cloudflared/config.yml:ro`],
      depends_on: { [t.api.name]: { condition: "service_started" } },
      restart: "unless-stopped",
    };
  }
  return { name: `${t.slug}-local`, services, volumes };
}

function componentServices(t: LocalTopology, c: LocalComponent): YamlMap {
  const { postgresUser, postgresPassword, minioUser, minioPassword } = LOCAL_CREDENTIALS;
  const port = COMPONENT_PORTS[c.type];
  const ports = (...p: number[]): YamlMap => (c.publishPorts ? { ports: p.map((n) => `${n}:${n}`) } : {});
  if (c.type === "postgres") {
    return {
      [c.host]: {
        image: "postgres:16",
        environment: { POSTGRES_USER: postgresUser, POSTGRES_PASSWORD: postgresPassword, POSTGRES_DB: t.database },
        ...ports(port),
        volumes: [`${c.host}-data:/var/lib/postgresql/data`],
        healthcheck: { test: ["CMD-SHELL", `pg_isready -U ${postgresUser} -d ${t.database}`], ...HEALTH_TIMING },
        restart: "unless-stopped",
      },
    };
  }
  if (c.type === "redis") {
    return {
      [c.host]: {
        image: "redis:7",
        ...ports(port),
        volumes: [`${c.host}-data:/data`],
        healthcheck: { test: ["CMD", "redis-cli", "ping"], ...HEALTH_TIMING },
        restart: "unless-stopped",
      },
    };
  }
  const alias = `mc alias set local http://${c.host}:${port} ${minioUser} ${minioPassword}`;
  return {
    [c.host]: {
      image: "minio/minio:latest",
      command: ["server", "/data", "--console-address", ":9001"],
      environment: { MINIO_ROOT_USER: minioUser, MINIO_ROOT_PASSWORD: minioPassword },
      ...ports(port, 9001),
      volumes: [`${c.host}-data:/data`],
      healthcheck: { test: ["CMD", "mc", "ready", "local"], ...HEALTH_TIMING },
      restart: "unless-stopped",
    },
    // One-shot: creates the bucket, then exits; apps wait for it with service_completed_successfully.
    [bucketInitService(c)]: {
      image: "minio/mc:latest",
      depends_on: { [c.host]: { condition: "service_healthy" } },
      entrypoint: ["/bin/sh", "-c"],
      command: [`${alias} && mc mb --ignore-existing local/${bucketName(t, c)}`],
      restart: "no",
    },
  };
}

function appService(t: LocalTopology, name: string, spec: ServiceSpec, vars: Record<string, VarSpec>): YamlMap {
  const repo = spec.source.repo.split("/")[1];
  const path = spec.source.path.replace(/^\.\/?/, "").replace(/\/$/, "");
  const context = path ? `../${repo}/${path}` : `../${repo}`;
  const image = `${t.slug}-${name}:local`;
  // Railpack and Nixpacks builds have no Dockerfile for compose to build; the README says how to
  // build the image, and `never` makes a missing image an error instead of a pull from Docker Hub.
  const source: YamlMap = spec.build === "dockerfile" ? { image, build: { context } } : { image, pull_policy: "never" };
  const cron = spec.kind === "cron";
  return {
    ...source,
    ...(cron ? { profiles: [CRON_PROFILE] } : {}),
    ...(spec.startCommand ? { command: spec.startCommand } : {}),
    env_file: [".env.local"],
    // PORT is set per service here, not in .env.local, which carries staging's names only.
    ...(spec.port && !cron ? { environment: { PORT: String(spec.port) }, ports: [`${spec.port}:${spec.port}`] } : {}),
    ...dependsOn(t, spec, vars),
    restart: cron ? "no" : "unless-stopped",
  };
}

function dependsOn(t: LocalTopology, spec: ServiceSpec, vars: Record<string, VarSpec>): YamlMap {
  const deps: YamlMap = {};
  // A component binding in the env is a dependency even when dependsOn forgets it.
  const bound = Object.values(vars).flatMap((v) => ("component" in v ? [v.component] : []));
  const components = new Set([...spec.dependsOn, ...bound]);
  for (const c of t.components) {
    if (!components.has(c.key) && !components.has(c.type)) continue;
    deps[c.host] = { condition: "service_healthy" };
    if (c.type === "storage") deps[bucketInitService(c)] = { condition: "service_completed_successfully" };
  }
  for (const other of spec.dependsOn) {
    const target = t.services.find(([n]) => n === other)?.[1];
    if (target && target.kind === "service") deps[other] = { condition: "service_started" };
  }
  if (Object.keys(vars).some((n) => /SENDGRID|SMTP|MAIL/.test(n)))
    deps[MAIL_SINK.host] = { condition: "service_started" };
  return Object.keys(deps).length ? { depends_on: deps } : {};
}

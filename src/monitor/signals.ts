/**
 * What continuous monitoring reads from the providers: per-service signals over one window (Railway
 * HTTP and runtime logs of the live deployment, a health probe) and the observed shape for drift.
 * Reads only; nothing here writes to a provider.
 */
import type { Bindings, EnvironmentSpec } from "../domain/spec";
import type { ProviderSet } from "../runs/types";
import type { ServiceSample } from "./anomalies";
import type { ObservedState } from "./drift";
import type { CanaryInFlight, SignalSource } from "./types";

type Railway = NonNullable<Bindings["railway"]>;
/** The provider clients signals are read with. */
type SignalProviders = Pick<ProviderSet, "railway" | "appFetch" | "trafficFor">;

/**
 * Signals read through `p`. Service domains are looked up once per object and kept in `domains`: they
 * change only when a service is re-provisioned, and the probe would otherwise cost a request per check.
 */
export function createSignalSource(p: SignalProviders, domains: Map<string, string | null>): SignalSource {
  return {
    sample: (spec, railway, window) => sampleServices(p, spec, railway, window, domains),
    observe: (spec, railway, cloudflare, canary) => observeState(p, spec, railway, cloudflare, canary),
  };
}

/** Error lines kept per service for the incident bundle. */
const EXCERPT_LINES = 50;

/** Signals of every service of the spec over [start, end). */
async function sampleServices(
  p: SignalProviders,
  spec: EnvironmentSpec,
  binding: Railway,
  window: { start: number; end: number },
  domains: Map<string, string | null>,
): Promise<ServiceSample[]> {
  const patterns = spec.policies.canary.criticalPatterns;
  return Promise.all(
    Object.entries(spec.services).map(([name, svc]) =>
      sampleService(p, binding, { name, kind: svc.kind, healthPath: svc.healthPath }, window, patterns, domains),
    ),
  );
}

async function sampleService(
  p: SignalProviders,
  binding: Railway,
  svc: { name: string; kind: "service" | "cron"; healthPath?: string },
  window: { start: number; end: number },
  patterns: string[],
  domains: Map<string, string | null>,
): Promise<ServiceSample> {
  const empty: ServiceSample = {
    service: svc.name,
    kind: svc.kind,
    deploymentId: null,
    deploymentStatus: null,
    requests: 0,
    errors: 0,
    p95Ms: null,
    healthy: null,
    logMatches: {},
    logExcerpt: [],
  };
  const serviceId = binding.services[svc.name];
  if (!serviceId) return empty;
  const deployments = await p.railway.listDeployments({
    projectId: binding.projectId,
    environmentId: binding.environmentId,
    serviceId,
    first: 5,
  });
  const live = deployments.find((d) => d.status === "SUCCESS");
  const latest = deployments[0];
  if (svc.kind === "cron")
    return { ...empty, deploymentId: latest?.id ?? null, deploymentStatus: latest?.status ?? null };
  if (!live)
    return {
      ...empty,
      deploymentId: latest?.id ?? null,
      deploymentStatus: latest?.status ?? null,
      healthy: svc.healthPath ? false : null,
    };
  const start = new Date(window.start).toISOString();
  const end = new Date(window.end).toISOString();
  const [metrics, logs, healthy] = await Promise.all([
    // Aggregates, not httpLogs rows: two small answers instead of up to 5000 rows, and exact above that.
    p.railway.httpMetrics({
      serviceId,
      environmentId: binding.environmentId,
      startDate: start,
      endDate: end,
      stepSeconds: Math.max(1, Math.ceil((window.end - window.start) / 1000)),
    }),
    p.railway.deploymentLogsBetween({ deploymentId: live.id, startDate: start, endDate: end, limit: 1000 }),
    svc.healthPath ? probe(p, binding, serviceId, svc.healthPath, domains) : Promise.resolve(null),
  ]);
  const count = (statuses: typeof metrics.byStatus) =>
    statuses.reduce((n, s) => n + s.samples.reduce((m, x) => m + x.value, 0), 0);
  // The window may straddle two steps: the slower step's p95 is the one reported.
  const p95s = metrics.p95.map((x) => x.p95);
  const logMatches: Record<string, number> = {};
  for (const pattern of patterns) logMatches[pattern] = logs.filter((l) => l.message.includes(pattern)).length;
  // Evidence first: lines matching a critical pattern are kept even when plain 5xx lines outnumber them.
  const critical = logs
    .filter((l) => patterns.some((pt) => l.message.includes(pt)))
    .slice(-Math.floor(EXCERPT_LINES / 2));
  const plain = logs
    .filter((l) => l.severity === "error" && !critical.includes(l))
    .slice(-(EXCERPT_LINES - critical.length));
  const errorLines = [...critical, ...plain].sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  return {
    ...empty,
    deploymentId: live.id,
    deploymentStatus: live.status,
    requests: count(metrics.byStatus),
    errors: count(metrics.byStatus.filter((s) => s.statusCode >= 500)),
    p95Ms: p95s.length ? Math.max(...p95s) : null,
    healthy,
    logMatches,
    logExcerpt: errorLines.map((l) => `${l.timestamp} ${l.severity ?? "-"} ${l.message}`),
  };
}

async function probe(
  p: SignalProviders,
  binding: Railway,
  serviceId: string,
  healthPath: string,
  domains: Map<string, string | null>,
): Promise<boolean | null> {
  if (!domains.has(serviceId))
    domains.set(
      serviceId,
      (await p.railway.listServiceDomains(binding.projectId, binding.environmentId, serviceId))[0]?.domain ?? null,
    );
  const domain = domains.get(serviceId);
  if (!domain) return null;
  return p
    .appFetch(`https://${domain}${healthPath}`, { signal: AbortSignal.timeout(10_000) })
    .then((r) => r.status === 200)
    .catch(() => false);
}

/** The provider's view of what drift compares: services present, replicas, variable names, canary weight. */
async function observeState(
  p: SignalProviders,
  spec: EnvironmentSpec,
  railway: Railway,
  cloudflare: Bindings["cloudflare"],
  canary: CanaryInFlight | null,
): Promise<ObservedState> {
  const present = new Set((await p.railway.listServices(railway.projectId)).map((s) => s.id));
  const services: ObservedState["services"] = {};
  for (const name of Object.keys(spec.services)) {
    const id = railway.services[name];
    if (!id) continue;
    if (!present.has(id)) {
      services[name] = { present: false, replicas: null, variableNames: null };
      continue;
    }
    const [instance, variables, autoDeploy] = await Promise.all([
      p.railway.getServiceInstance(id, railway.environmentId),
      p.railway.getVariables(railway.projectId, railway.environmentId, id),
      p.railway.autoDeployStatus({ projectId: railway.projectId, environmentId: railway.environmentId, serviceId: id }),
    ]);
    services[name] = {
      present: true,
      replicas: instance.numReplicas,
      variableNames: Object.keys(variables),
      autoDeploy: autoDeploy.enabled,
    };
  }
  let observedCanary: ObservedState["canary"] = null;
  if (canary && cloudflare) {
    observedCanary = {
      expected: canary.weight,
      observed: await p.trafficFor(cloudflare).canaryWeight(canary.binding),
      moving: canary.moving,
    };
  }
  return { services, canary: observedCanary };
}

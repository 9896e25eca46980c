/**
 * The simulated Invoice Perfect app behind each `*.up.railway.app` service domain, for requests the
 * control plane itself sends (health probes, and the ops contract on the api service: ops/server.ts). It serves the release of the instance's live deployment
 * (the newest that went live). The synthetic user traffic seen through httpLogs and the HTTP metrics is
 * generated separately, deterministically per window, in traffic/.
 */
import { appFaultsFor, consumeAppFault } from "./faults";
import { json } from "./http";
import { handleOps, servesOps } from "./ops/server";
import { getEnvironment, getInstance, getService } from "./world/entities";
import { currentDeployment } from "./world/deployments";
import { instanceForHost } from "./world/custom-domains";
import { RAILWAY_APP_SUFFIX } from "./world/domains";
import type { World } from "./world/store";

/** Whether a hostname is a Railway-provided app domain. */
export function isAppHost(hostname: string): boolean {
  return hostname.endsWith(`.${RAILWAY_APP_SUFFIX}`);
}

/** Answers one request to an app domain; `text` is the body, already read by the router. */
export function handleApp(world: World, request: Request, text = ""): Response {
  const url = new URL(request.url);
  const domain = instanceForHost(world, url.hostname);
  // Railway's edge answers this for a domain with no service behind it.
  if (!domain) return json(404, { status: "error", code: 404, message: "Application not found" });
  const service = getService(world, domain.service_id);
  const env = getEnvironment(world, domain.environment_id);
  const instance = getInstance(world, domain.service_id, domain.environment_id);
  if (!service || !env || !instance) return json(404, { status: "error", code: 404, message: "Application not found" });

  const live = currentDeployment(world, service.id, env.id);
  if (live?.phase !== "SUCCESS") {
    return json(503, { status: "error", code: 503, message: "Application failed to respond" });
  }
  const release = live.meta.commitMessage ?? live.meta.image ?? null;
  const healthPath = instance.settings.healthcheckPath ?? "/health";
  if (request.method === "GET" && url.pathname === healthPath) {
    const failing = appFaultsFor(world, env.name, service.name).find((f) => f.failHealth);
    if (failing) {
      consumeAppFault(world, failing);
      return json(500, { status: "error", release, error: "health check failed" });
    }
    return json(200, { status: "ok", release });
  }
  if (servesOps(service, url.pathname)) return handleOps(world, env, service, request, text);
  if (request.method === "GET" && url.pathname === "/") return json(200, { service: service.name, release });
  return json(404, { error: "Not Found", path: url.pathname });
}

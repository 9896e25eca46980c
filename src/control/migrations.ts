/**
 * Migration facts a plan needs: what the app says is pending (with each migration's expand/contract class,
 * from its `GET /ops/migrations`), and which contract migrations already ran here (rollback safety).
 */
import type { EnvRow } from "../db/environments";
import { listReleases } from "../db/environments";
import { appliedContractMigrations } from "../db/migrations";
import { resolveSecret } from "../db/secrets";
import type { EnvironmentSpec } from "../domain/spec";
import type { AppliedContract, AppMigrations } from "../plan/deploy";
import type { ControlContext } from "./context";
import { errorText } from "../domain/errors";

/** The migrating service's pending migrations as its app classifies them; null when no service migrates. */
export async function appMigrations(
  cx: ControlContext,
  env: EnvRow,
  spec: EnvironmentSpec,
): Promise<AppMigrations | null> {
  const service = Object.keys(spec.services).find((n) => spec.services[n].migrateCommand);
  if (!service) return null;
  const binding = env.bindings.railway;
  const serviceId = binding?.services[service];
  if (!binding || !serviceId) return { service, error: `${service} is not provisioned yet` };
  try {
    const providers = cx.providers();
    const [domains, token] = await Promise.all([
      providers.railway.listServiceDomains(binding.projectId, binding.environmentId, serviceId),
      resolveSecret(cx.db, cx.cipher, env.id, "OPS_TOKEN"),
    ]);
    const domain = domains[0]?.domain;
    if (!domain) return { service, error: `${service} has no domain to ask` };
    const { pending } = await providers.ops(`https://${domain}`, token ?? undefined).migrations();
    return { service, pending };
  } catch (e) {
    return { service, error: errorText(e) };
  }
}

/** Contract migrations applied in an environment, oldest first, with the release current when each ran. */
export async function appliedContracts(cx: ControlContext, envId: string): Promise<AppliedContract[]> {
  const rows = await appliedContractMigrations(cx.db, envId);
  if (rows.length === 0) return [];
  const releases = await listReleases(cx.db, envId);
  return rows.map((r) => {
    // The code written for the contracted schema: the release the applying run made (a deploy carrying the
    // migration), else the release live when it ran (a contract run after promotion).
    const release = releases.find((x) => x.runId === r.runId) ?? releases.find((x) => x.id === r.releaseId) ?? null;
    return {
      name: r.name,
      appliedAt: r.appliedAt,
      releaseVersion: release?.version ?? null,
      releaseCreatedAt: release?.createdAt ?? null,
    };
  });
}

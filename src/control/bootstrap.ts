import { findEnv, listEnvs, specAt } from "../db/environments";
import { AppError } from "../domain/errors";
import { bootstrapFiles, bootstrapRoot } from "../local/bootstrap";
import { mirroredEnvironment } from "../local/topology";
import { tarGz } from "../local/archive";
import { requireRole } from "../security/roles";
import type { ControlContext } from "./context";

/**
 * "bootstrap local": compose.yaml, .env.local (staging's variable names, secretref:// placeholders,
 * never values), tunnel config, seed scripts and README as one tar.gz, kept in R2 by spec revision.
 */
export async function localBootstrap(
  cx: ControlContext,
  envRef: string,
): Promise<{ key: string; filename: string; bytes: Uint8Array }> {
  requireRole(cx.actor.role, "read");
  const local = await findEnv(cx.db, envRef);
  const reference = mirroredEnvironment(await listEnvs(cx.db, local.projectId), local.name);
  if (!reference) throw new AppError("conflict", `${local.env} has no other environment to mirror`);
  const [{ revision, spec }, { revision: referenceRevision, spec: referenceSpec }] = await Promise.all([
    specAt(cx.db, local.id),
    specAt(cx.db, reference.id),
  ]);
  // Both revisions name the archive: a change to staging (a component, a variable) changes the local files too.
  const key = `bootstrap/${local.id}/r${revision}-from-${reference.name}-r${referenceRevision}.tar.gz`;
  const filename = `${bootstrapRoot(local.projectSlug)}.tar.gz`;
  const stored = await cx.archives.get(key);
  if (stored) return { key, filename, bytes: stored };
  const now = new Date(cx.now());
  const files = bootstrapFiles({
    projectSlug: local.projectSlug,
    projectName: local.projectName,
    local: spec,
    reference: referenceSpec,
    referenceEnv: reference.name,
    secretRef: (name) => `secretref://${local.projectSlug}/${local.name}/${name}`,
    publicUrl: cx.publicUrl,
    generatedAt: now.toISOString(),
  });
  const bytes = await tarGz(files, { root: bootstrapRoot(local.projectSlug), mtime: now });
  await cx.archives.put(key, bytes, "application/gzip");
  return { key, filename, bytes };
}

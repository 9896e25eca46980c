import { parseEnvRef } from "../domain/env-ref";
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { AppError } from "../domain/errors";
import { Bindings, EnvironmentSpec } from "../domain/spec";
import type { DesiredState } from "../monitor/types";
import { subscriberPhones } from "./alerts";
import type { Database } from "./client";
import { environments, projects, releases, specRevisions } from "./schema";
import type { SpecChange } from "../domain/spec";
import { diffSpecs } from "../domain/spec";

export interface EnvRow {
  id: string;
  env: string;
  name: string;
  projectId: string;
  projectSlug: string;
  projectName: string;
  revision: number;
  baseEnv: string | null;
  bindings: Bindings;
  currentReleaseId: string | null;
}

/** Finds an environment by id or by "<projectSlug>:<envName>"; 404 otherwise. */
export async function findEnv(db: Database, ref: string): Promise<EnvRow> {
  const { project: slug, name } = parseEnvRef(ref);
  const rows = await db
    .select({ e: environments, p: projects })
    .from(environments)
    .innerJoin(projects, eq(projects.id, environments.projectId))
    .where(slug ? and(eq(projects.slug, slug), eq(environments.name, name)) : eq(environments.id, ref))
    .limit(1);
  const row = rows[0];
  if (!row) throw new AppError("not_found", `environment ${ref} not found`);
  return toEnvRow(row.e, row.p);
}

/** All environments of a project. */
export async function listEnvs(db: Database, projectId: string): Promise<EnvRow[]> {
  const rows = await db
    .select({ e: environments, p: projects })
    .from(environments)
    .innerJoin(projects, eq(projects.id, environments.projectId))
    .where(eq(environments.projectId, projectId))
    .orderBy(asc(environments.createdAt));
  return rows.map((r) => toEnvRow(r.e, r.p));
}

function toEnvRow(e: typeof environments.$inferSelect, p: typeof projects.$inferSelect): EnvRow {
  return {
    id: e.id,
    env: `${p.slug}:${e.name}`,
    name: e.name,
    projectId: p.id,
    projectSlug: p.slug,
    projectName: p.name,
    revision: e.revision,
    baseEnv: e.baseEnv,
    bindings: Bindings.parse(e.bindings),
    currentReleaseId: e.currentReleaseId,
  };
}

/** The spec at a revision (the latest when omitted), validated on the way out of storage. */
export async function specAt(
  db: Database,
  envId: string,
  revision?: number,
): Promise<{ revision: number; spec: EnvironmentSpec }> {
  const rows = await db
    .select()
    .from(specRevisions)
    .where(
      revision === undefined
        ? eq(specRevisions.envId, envId)
        : and(eq(specRevisions.envId, envId), eq(specRevisions.revision, revision)),
    )
    .orderBy(desc(specRevisions.revision))
    .limit(1);
  if (!rows[0]) throw new AppError("not_found", `no spec revision ${revision ?? "(latest)"} for environment ${envId}`);
  return { revision: rows[0].revision, spec: EnvironmentSpec.parse(rows[0].spec) };
}

/** Revision history, newest first. */
export async function revisions(db: Database, envId: string) {
  return db
    .select({
      revision: specRevisions.revision,
      author: specRevisions.author,
      reason: specRevisions.reason,
      createdAt: specRevisions.createdAt,
    })
    .from(specRevisions)
    .where(eq(specRevisions.envId, envId))
    .orderBy(desc(specRevisions.revision));
}

/** The newest `limit` revisions with their specs, newest first (a revision's diff is against the one before). */
export async function revisionSpecs(db: Database, envId: string, limit: number) {
  const rows = await db
    .select({ revision: specRevisions.revision, spec: specRevisions.spec })
    .from(specRevisions)
    .where(eq(specRevisions.envId, envId))
    .orderBy(desc(specRevisions.revision))
    .limit(limit);
  return rows.map((r) => ({ revision: r.revision, spec: EnvironmentSpec.parse(r.spec) }));
}

export interface ReleaseRow {
  id: string;
  version: string;
  services: Record<string, { commitSha: string; commitMessage: string; deploymentId: string }>;
  runId: string | null;
  createdAt: string;
}

/** Releases of an environment, newest first. */
export async function listReleases(db: Database, envId: string): Promise<ReleaseRow[]> {
  const rows = await db
    .select()
    .from(releases)
    .where(eq(releases.envId, envId))
    .orderBy(desc(releases.createdAt), desc(releases.id));
  return rows.map((r) => ({
    id: r.id,
    version: r.version,
    services: r.services as ReleaseRow["services"],
    runId: r.runId,
    createdAt: r.createdAt,
  }));
}

/** Writes provider ids learned during setup/reconcile back onto the environment. */
export async function saveBindings(db: Database, envId: string, bindings: Bindings, now: string): Promise<void> {
  await db.update(environments).set({ bindings, updatedAt: now }).where(eq(environments.id, envId));
}

/**
 * Writes revision `from + 1`. The revision number is the optimistic lock: the insert fails on the
 * primary key when someone else already wrote `from + 1`, and the batch writes nothing.
 */
export async function insertRevision(
  db: Database,
  envId: string,
  from: { revision: number; spec: EnvironmentSpec },
  next: EnvironmentSpec,
  author: string,
  reason: string,
  now: string,
): Promise<{ revision: number; diff: SpecChange[] }> {
  const diff = diffSpecs(from.spec, next);
  if (diff.length === 0) return { revision: from.revision, diff };
  try {
    await db.batch([
      db
        .insert(specRevisions)
        .values({ envId, revision: from.revision + 1, spec: next, author, reason, createdAt: now }),
      db
        .update(environments)
        .set({ revision: from.revision + 1, updatedAt: now })
        .where(and(eq(environments.id, envId), eq(environments.revision, from.revision))),
    ]);
  } catch (e) {
    if (/UNIQUE|constraint/i.test(String(e)))
      throw new AppError("conflict", "the environment changed while this change was prepared; try again");
    throw e;
  }
  return { revision: from.revision + 1, diff };
}

/** Ids of every environment (each has an audit chain of its own; live watchers may be open on any). */
export async function allEnvIds(db: Database): Promise<string[]> {
  return (await db.select({ id: environments.id }).from(environments)).map((r) => r.id);
}

/** Ids of the environments provisioned at Railway (the ones monitoring checks). */
export async function monitoredEnvIds(db: Database): Promise<string[]> {
  const rows = await db
    .select({ id: environments.id })
    .from(environments)
    .where(sql`json_extract(${environments.bindings}, '$.railway') IS NOT NULL`);
  return rows.map((r) => r.id);
}

export type EnvironmentRow = typeof environments.$inferSelect;

/** Inserts an environment and its first spec revision together. */
export async function insertEnvironmentRow(
  db: Database,
  env: EnvironmentRow,
  first: { spec: EnvironmentSpec; author: string; reason: string },
): Promise<void> {
  await db.batch([
    db.insert(environments).values(env),
    db.insert(specRevisions).values({ envId: env.id, revision: 1, ...first, createdAt: env.createdAt }),
  ]);
}

/** Records a release made outside a run (the seed's live v1) and makes it current with its bindings. */
export async function bindRelease(
  db: Database,
  envId: string,
  release: ReleaseRow,
  bindings: Bindings,
  now: string,
): Promise<void> {
  await db.batch([
    db.insert(releases).values({ ...release, envId }),
    db
      .update(environments)
      .set({ bindings, currentReleaseId: release.id, updatedAt: now })
      .where(eq(environments.id, envId)),
  ]);
}

/** The desired state as the monitor reads it (specs, releases, alert subscribers). */
export function createDesiredStateReader(db: Database): DesiredState {
  return {
    async current(envId) {
      const [row, { spec }] = await Promise.all([findEnv(db, envId), specAt(db, envId)]);
      return { env: row.env, spec, bindings: row.bindings, currentReleaseId: row.currentReleaseId };
    },
    releases: (envId) => listReleases(db, envId),
    async specAsOf(envId, at) {
      const then = (await revisions(db, envId)).find((r) => r.createdAt <= at);
      return then ? (await specAt(db, envId, then.revision)).spec : null;
    },
    subscribers: (envId) => subscriberPhones(db, envId),
  };
}

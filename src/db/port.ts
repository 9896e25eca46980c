import { and, eq, inArray, sql } from "drizzle-orm";
import type { ControlPlanePort, EnvContext, ReleaseRecord } from "../runs/context";
import { newId } from "../domain/ids";
import type { Database } from "./client";
import { commitBatch } from "./client";
import { findEnv, insertRevision, listEnvs, listReleases, saveBindings, specAt } from "./environments";
import { mirroredEnvironment } from "../local/topology";
import { appliedMigrations, connections, environments, releases, runs, users } from "./schema";
import type { SecretCipher } from "./secrets";
import {
  destroyPreviousSecret,
  listSecrets,
  putSecret,
  reencryptSecrets,
  resolveSecret,
  swapStagedSecret,
} from "./secrets";
import { isoAt } from "../domain/time";

/** The run engine's view of D1. */
export function createControlPlanePort(db: Database, cipher: SecretCipher, now: () => number): ControlPlanePort {
  const iso = () => isoAt(now());
  return {
    async loadEnv(envId, revision): Promise<EnvContext> {
      const row = await findEnv(db, envId);
      const { spec } = await specAt(db, envId, revision);
      const all = await listReleases(db, envId);
      return {
        envId,
        env: row.env,
        projectSlug: row.projectSlug,
        name: row.name,
        spec,
        bindings: row.bindings,
        currentRelease: all.find((r) => r.id === row.currentReleaseId) ?? null,
      };
    },
    saveBindings: (envId, bindings) => saveBindings(db, envId, bindings, iso()),
    async railwaySiblings(envId) {
      const self = await findEnv(db, envId);
      const projectId = self.bindings.railway?.projectId;
      if (!projectId) return [];
      const siblings = (await listEnvs(db, self.projectId)).filter(
        (e) => e.id !== envId && e.bindings.railway?.projectId === projectId,
      );
      return Promise.all(
        siblings.map(async (e) => {
          const { spec } = await specAt(db, e.id);
          return {
            env: e.env,
            environmentId: e.bindings.railway?.environmentId ?? "",
            services: e.bindings.railway?.services ?? {},
            autoDeploy: Object.keys(spec.services).filter((n) => spec.services[n].autoDeploy === true),
          };
        }),
      );
    },
    secretNames: async (envId) => (await listSecrets(db, envId)).map((s) => s.name),
    resolveSecret: (envId, name) => resolveSecret(db, cipher, envId, name),
    releases: (envId) => listReleases(db, envId),
    async recordRelease(envId, services, runId): Promise<ReleaseRecord> {
      const all = await listReleases(db, envId);
      const mine = all.find((r) => r.runId === runId);
      if (mine) return mine;
      const next = 1 + Math.max(0, ...all.map((r) => Number(/^v(\d+)$/.exec(r.version)?.[1] ?? 0)));
      const release: ReleaseRecord = { id: newId("rel"), version: `v${next}`, services, runId, createdAt: iso() };
      await db.batch([
        db.insert(releases).values({ ...release, envId }),
        db
          .update(environments)
          .set({ currentReleaseId: release.id, updatedAt: release.createdAt })
          .where(eq(environments.id, envId)),
      ]);
      return release;
    },
    async reviseSpec(envId, fromRevision, spec, author, reason) {
      const from = await specAt(db, envId, fromRevision);
      return (await insertRevision(db, envId, from, spec, author, reason, iso())).revision;
    },
    swapSecret: (envId, name) => swapStagedSecret(db, cipher, envId, name, iso()),
    destroyPreviousSecret: (envId, name) => destroyPreviousSecret(db, envId, name),
    reencryptSecrets: (envId, batch, skip) => reencryptSecrets(db, cipher, envId, batch, skip),
    async runStatus(runId) {
      const row = (await db.select().from(runs).where(eq(runs.id, runId)).limit(1))[0];
      if (!row) return null;
      const env = await findEnv(db, row.envId);
      return { status: row.status, env: env.env, type: row.type, endedAt: row.endedAt, error: row.error };
    },
    async recordMigrations(envId, runId, applied) {
      if (applied.length === 0) return;
      const row = await findEnv(db, envId);
      const at = iso();
      // First record wins: a re-executed step (after an eviction) must not move a migration's time or release.
      await commitBatch(
        db,
        applied.map((m) =>
          db
            .insert(appliedMigrations)
            .values({
              envId,
              service: m.service,
              name: m.name,
              class: m.class,
              runId,
              releaseId: row.currentReleaseId,
              appliedAt: at,
            })
            .onConflictDoNothing(),
        ),
      );
    },
    putSecret: (envId, name, value) => putSecret(db, cipher, envId, name, value, iso()),
    async recordConnection(envId, provider, change) {
      const row = await findEnv(db, envId);
      // One statement, so the staging and production runs (two Durable Objects) cannot overwrite each other's part.
      const path = `$.environments.${JSON.stringify(row.name)}`;
      const merged = sql`json_set(json_set(${connections.metadata}, '$.environments', json(COALESCE(json_extract(${connections.metadata}, '$.environments'), '{}'))), ${path}, json(${JSON.stringify(change.metadata)}))`;
      // A verified connection stays verified when a later step only learned it is configured.
      const status = change.status
        ? sql`CASE WHEN ${connections.status} = 'verified' THEN 'verified' ELSE ${change.status} END`
        : sql`${connections.status}`;
      await db
        .update(connections)
        .set({ metadata: merged, status, updatedAt: iso() } as never)
        .where(and(eq(connections.projectId, row.projectId), eq(connections.provider, provider)));
    },
    async localStackSource(envId) {
      const row = await findEnv(db, envId);
      const reference = mirroredEnvironment(await listEnvs(db, row.projectId), row.name);
      return {
        projectName: row.projectName,
        reference: reference ? { name: reference.name, spec: (await specAt(db, reference.id)).spec } : null,
      };
    },
    async usersByPhone(phones) {
      if (phones.length === 0) return [];
      const rows = await db.select().from(users).where(inArray(users.phone, phones));
      return rows.flatMap((u) => (u.phone ? [{ id: u.id, name: u.name, role: u.role, phone: u.phone }] : []));
    },
    async userName(id) {
      if (!id) return null;
      const rows = await db.select({ name: users.name }).from(users).where(eq(users.id, id)).limit(1);
      return rows[0]?.name ?? null;
    },
    async setCurrentRelease(envId, releaseId) {
      const found = await db
        .select({ id: releases.id })
        .from(releases)
        .where(and(eq(releases.envId, envId), eq(releases.id, releaseId)));
      if (!found[0]) throw new Error(`release ${releaseId} does not belong to ${envId}`);
      await db
        .update(environments)
        .set({ currentReleaseId: releaseId, updatedAt: iso() })
        .where(eq(environments.id, envId));
    },
  };
}

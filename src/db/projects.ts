import { asc, eq } from "drizzle-orm";
import type { Database } from "./client";
import { connections, environments, projects } from "./schema";

export type ProjectRow = typeof projects.$inferSelect;

/** Projects, oldest first (the first `limit` of them when given). */
export async function listProjects(db: Database, limit?: number): Promise<ProjectRow[]> {
  const query = db.select().from(projects).orderBy(asc(projects.createdAt));
  return limit === undefined ? query : query.limit(limit);
}

/** A project by id (`prj_…`) or slug, or null. */
export async function projectByRef(db: Database, ref: string): Promise<ProjectRow | null> {
  const rows = await db
    .select()
    .from(projects)
    .where(ref.startsWith("prj_") ? eq(projects.id, ref) : eq(projects.slug, ref))
    .limit(1);
  return rows[0] ?? null;
}

/** A project by slug, or null. */
export async function projectBySlug(db: Database, slug: string): Promise<ProjectRow | null> {
  return (await db.select().from(projects).where(eq(projects.slug, slug)).limit(1))[0] ?? null;
}

/** Inserts a project with one `unconfigured` connection per provider, together. */
export async function insertProject(db: Database, project: ProjectRow, providers: string[]): Promise<void> {
  await db.batch([
    db.insert(projects).values(project),
    ...providers.map((provider) =>
      db.insert(connections).values({
        projectId: project.id,
        provider,
        status: "unconfigured",
        metadata: {},
        updatedAt: project.createdAt,
      }),
    ),
  ]);
}

/** Slugs of the projects having an environment of this name, oldest project first. */
export async function projectsWithEnvironment(db: Database, name: string): Promise<string[]> {
  const rows = await db
    .select({ slug: projects.slug })
    .from(environments)
    .innerJoin(projects, eq(projects.id, environments.projectId))
    .where(eq(environments.name, name))
    .orderBy(asc(projects.createdAt));
  return rows.map((r) => r.slug);
}

/**
 * The names the chat's language layer reads a message against (src/chat/language/context.ts), from D1:
 * one project's environments (and which of them are local), services in deploy order with their
 * repositories, the template's backfill jobs, and the secret names its specs use or its environments hold.
 */
import type { LanguageContext } from "../chat/language/context";
import { listEnvs, specAt } from "../db/environments";
import { listProjects, projectBySlug } from "../db/projects";
import { listSecrets } from "../db/secrets";
import { TEMPLATE_JOBS } from "../domain/template";
import { deployOrder } from "../plan/deploy";
import type { ControlContext } from "./context";

/** The context of the project named, else of the oldest project; empty names when there is none. */
export async function languageContext(cx: ControlContext, projectSlug?: string): Promise<LanguageContext> {
  const project = projectSlug ? await projectBySlug(cx.db, projectSlug) : (await listProjects(cx.db, 1))[0];
  if (!project) return { project: projectSlug ?? "", envs: [], services: [], jobs: [] };
  const envs = await listEnvs(cx.db, project.id);
  const specs = await Promise.all(envs.map(async (e) => ({ env: e, spec: (await specAt(cx.db, e.id)).spec })));
  const stored = await Promise.all(envs.map((e) => listSecrets(cx.db, e.id)));
  const services: string[] = [];
  const repos: Record<string, string> = {};
  const secretNames = new Set(stored.flat().map((s) => s.name));
  for (const { spec } of specs) {
    for (const name of deployOrder(spec)) {
      if (!services.includes(name)) services.push(name);
      repos[name] ??= spec.services[name].source.repo;
      for (const v of Object.values(spec.services[name].env)) if ("secret" in v) secretNames.add(v.secret);
    }
  }
  return {
    project: project.slug,
    envs: envs.map((e) => e.name),
    // Environments with no Railway connection run on a laptop: bootstrapped, never deployed.
    localEnvs: specs.filter(({ spec }) => !spec.connections.includes("railway")).map(({ env }) => env.name),
    services,
    repos,
    jobs: [...(TEMPLATE_JOBS[project.template ?? ""] ?? [])],
    secretNames: [...secretNames].sort(),
  };
}

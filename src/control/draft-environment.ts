import { parseEnvRef } from "../domain/env-ref";
import { listEnvs } from "../db/environments";
import { listProjects } from "../db/projects";
import { AppError } from "../domain/errors";
import type { Plan } from "../domain/run";
import type { ControlContext } from "./context";
import { createEnvironment } from "./environments";
import { createPlan } from "./plans";

/**
 * "deploy production" when production doesn't exist yet: drafts its desired state from the closest
 * environment (staging first, else the last provisioned one that is not local) with the template's role overrides, and
 * plans its setup. Nothing reaches a provider until that plan is applied (and approved where policy says).
 */
export async function draftMissingEnvironment(
  cx: ControlContext,
  name: string,
  conversationProject?: string,
): Promise<{ plan: Plan; from: string; changes: string[] }> {
  const ref = parseEnvRef(name);
  const envName = ref.name;
  const slug = ref.project ?? conversationProject ?? (await onlyProject(cx, name));
  const project = (await listProjects(cx.db)).find((p) => p.slug === slug);
  if (!project) throw new AppError("not_found", `project ${slug} not found`);
  const envs = (await listEnvs(cx.db, project.id)).filter((e) => e.name !== "local" && e.bindings.railway);
  const closest = envs.find((e) => e.name === "staging") ?? envs.at(-1);
  if (!closest)
    throw new AppError(
      "not_found",
      `no environment named ${envName}, and no provisioned environment in ${slug} to create it from`,
    );
  const created = await createEnvironment(cx, slug, { name: envName, from: closest.name });
  const plan = await createPlan(cx, `${slug}:${envName}`, { type: "setup", params: { from: closest.name } });
  return { plan, from: closest.name, changes: created.diff.map((c) => `${c.op} ${c.path}`) };
}

/** The one project with a provisioned environment to copy from; otherwise the user must say which. */
async function onlyProject(cx: ControlContext, envName: string): Promise<string> {
  const all = await listProjects(cx.db);
  const candidates: string[] = [];
  for (const p of all)
    if ((await listEnvs(cx.db, p.id)).some((e) => e.name !== "local" && e.bindings.railway)) candidates.push(p.slug);
  if (candidates.length !== 1)
    throw new AppError(
      "not_found",
      `no environment named ${envName}; say which project (e.g. "deploy ${candidates[0] ?? all[0]?.slug ?? "my-project"}:${envName}")`,
    );
  return candidates[0];
}

import { bootstrapFiles } from "../../local/bootstrap";
import { localTopology } from "../../local/topology";
import type { StepExecutor } from "../context";

/**
 * A local environment has no provider to reconcile: its stack is the compose project "bootstrap local"
 * generates from the desired state. This step renders it from the revision the run just wrote and keeps
 * compose.yaml and .env.local as run artifacts, so the run shows what changed and the download matches it.
 */
export const renderLocal: StepExecutor<"render-local"> = async (ctx) => {
  const { component } = ctx.step.params;
  const { projectName, reference } = await ctx.port.localStackSource(ctx.env.envId);
  // Without another environment to mirror, the local spec is its own reference.
  const input = {
    projectSlug: ctx.env.projectSlug,
    projectName,
    local: ctx.env.spec,
    reference: reference?.spec ?? ctx.env.spec,
    referenceEnv: reference?.name ?? ctx.env.name,
    secretRef: (name: string) => `secretref://${ctx.env.projectSlug}/${ctx.env.name}/${name}`,
  };
  const files = bootstrapFiles(input);
  for (const path of ["compose.yaml", ".env.local"]) {
    const file = files.find((f) => f.path === path);
    if (file) await ctx.artifacts.put(ctx.run.id, `local/${path}`, file.content);
  }
  const topology = localTopology(input);
  const running = topology.components.find((c) => c.type === component);
  const stack = topology.components.map((c) => c.host).join(", ");
  const download = `GET /api/envs/${ctx.env.env}/bootstrap`;
  return {
    kind: "done",
    note: running
      ? `compose.yaml runs ${component} as "${running.host}" (components: ${stack}); new files: ${download}, then docker compose up -d`
      : `compose.yaml no longer runs ${component} (components: ${stack}); new files: ${download}`,
  };
};

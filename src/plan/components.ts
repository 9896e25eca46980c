import type { ComponentParams, StepDraft } from "../domain/run";
import { COMPONENT_LIMITS, type ComponentSpec, type SpecChange } from "../domain/spec";
import type { PinnedRef, PlanInput, PlanOutput } from "./deploy";
import { deployOrder } from "./deploy";
import { numberSteps } from "./steps";

const OUTPUT: Record<string, string | undefined> = { postgres: "DATABASE_URL", redis: "REDIS_URL" };
const SERVICE: Record<string, string> = { postgres: "Postgres", redis: "Redis", storage: "storage" };

/**
 * reconcile (component add/remove): change the desired state, create or delete the provider resource,
 * and (un)wire its variable on exactly the services that declare the dependency, redeploying them at
 * their current release so they pick the change up.
 */
export function planComponent(input: Omit<PlanInput, "refs">, params: ComponentParams): PlanOutput | { error: string } {
  const { spec, currentRelease } = input;
  const { action, component } = params;
  if (action === "resize" && isLocalStack(spec)) {
    if (!spec.components[component]) return { error: `${input.env} has no ${component} to resize` };
    return planLocalComponent(input, params);
  }
  if (action === "resize")
    return params.size ? planResize(input, component, params.size) : { error: "resize needs a size" };
  const exists = component in spec.components;
  if (action === "add" && exists) return { error: `${input.env} already has ${component}` };
  if (action === "remove" && !exists) return { error: `${input.env} has no ${component} to remove` };
  if (action === "remove" && component === "postgres")
    return { error: "removing Postgres would destroy the database: Infra Chat never purges data" };
  if (isLocalStack(spec)) return planLocalComponent(input, params);
  const dependents = deployOrder(spec).filter((n) => spec.services[n].dependsOn.includes(component));
  const output = OUTPUT[component];
  const refs: Record<string, PinnedRef> = {};
  for (const name of dependents) {
    const live = currentRelease?.services[name];
    if (live)
      refs[name] = {
        repo: spec.services[name].source.repo,
        ref: live.commitSha,
        sha: live.commitSha,
        message: live.commitMessage,
      };
  }
  const wired = output ? dependents.filter((n) => !(output in spec.services[n].env)) : [];
  const steps: StepDraft[] = [
    {
      kind: "resolve-ref",
      summary: `Keep the current release: ${
        Object.entries(refs)
          .map(([n, r]) => `${n} ${r.message}`)
          .join(", ") || "no dependent service"
      }`,
      params: { refs },
    },
    { kind: "update-spec", summary: `Desired state: ${action} ${component}`, params: { ...params } },
    ...(action === "add"
      ? [
          {
            kind: "ensure-component" as const,
            summary: `Create ${SERVICE[component]} at Railway from its template`,
            params: { component },
          },
        ]
      : []),
    {
      kind: "reconcile-config",
      summary: output
        ? `${action === "add" ? "Set" : "Remove"} ${output} on ${wired.join(", ") || "no service"}`
        : "Reconcile variables",
      params: action === "remove" && output ? { removeVars: Object.fromEntries(wired.map((n) => [n, [output]])) } : {},
    },
    ...Object.keys(refs).map((name) => ({
      kind: "deploy-service" as const,
      summary: `Redeploy ${name} at ${refs[name].message} so it ${action === "add" ? "uses" : "stops using"} ${component}`,
      params: { service: name },
    })),
    ...(action === "remove"
      ? [
          {
            kind: "remove-component" as const,
            summary: `Delete ${SERVICE[component]} in ${input.env} — its data is lost`,
            params: { component },
          },
        ]
      : []),
  ];
  const diff: SpecChange[] = [
    action === "add"
      ? { path: `components.${component}`, op: "add", to: { type: component, size: params.size ?? "small" } }
      : { path: `components.${component}`, op: "remove", from: spec.components[component] },
    ...wired.map(
      (n): SpecChange =>
        action === "add"
          ? { path: `services.${n}.env.${output}`, op: "add", to: `\${{${SERVICE[component]}.${output}}}` }
          : { path: `services.${n}.env.${output}`, op: "remove", from: `\${{${SERVICE[component]}.${output}}}` },
    ),
  ];
  const risk =
    action === "remove"
      ? {
          level: "high" as const,
          notes: [
            `deletes ${SERVICE[component]} in ${input.env} and everything stored in it`,
            "needs approval before anything changes",
            ...(wired.length ? [`${wired.join(", ")} lose ${output} and are redeployed`] : []),
          ],
        }
      : {
          level: "low" as const,
          notes: [
            wired.length
              ? `${wired.join(", ")} get ${output} and are redeployed at their current release`
              : `no service declares a dependency on ${component} yet`,
          ],
        };
  return { type: "reconcile", steps: numberSteps(steps), diff, risk };
}

/** An environment with no Railway connection runs on a developer's machine, as the compose stack "bootstrap local" makes. */
function isLocalStack(spec: PlanInput["spec"]): boolean {
  return !spec.connections.includes("railway");
}

/**
 * reconcile on a local environment (spec: local parity): the same desired-state change, then its compose
 * stack regenerated from it. Nothing at Railway or Cloudflare: a local component is a compose service.
 */
function planLocalComponent(input: Omit<PlanInput, "refs">, params: ComponentParams): PlanOutput {
  const { action, component } = params;
  const current = input.spec.components[component];
  const size = params.size ?? current?.size ?? "small";
  const dependents = deployOrder(input.spec).filter((n) => input.spec.services[n].dependsOn.includes(component));
  const output = OUTPUT[component];
  const steps: StepDraft[] = [
    {
      kind: "update-spec",
      summary: `Desired state: ${action === "resize" ? `${component} ${current?.size} → ${size}` : `${action} ${component}`}`,
      params: { ...params },
    },
    {
      kind: "render-local",
      summary: `Regenerate the local stack: compose.yaml ${action === "remove" ? "drops" : action === "add" ? "gains" : "keeps"} ${component}${output && dependents.length && action !== "resize" ? `, ${output} for ${dependents.join(", ")} in .env.local` : ""}`,
      params: { component },
    },
  ];
  const diff: SpecChange[] =
    action === "add"
      ? [{ path: `components.${component}`, op: "add", to: { type: component, size } }]
      : action === "remove"
        ? [{ path: `components.${component}`, op: "remove", from: current }]
        : [{ path: `components.${component}.size`, op: "change", from: current?.size, to: size }];
  const notes = [
    "local only: the developer's compose stack changes; nothing at Railway or Cloudflare",
    ...(action === "resize" ? ["sizes have no local effect: compose runs one container either way"] : []),
    ...(action === "remove" ? [`its local data volume stays until \`docker compose down -v\``] : []),
  ];
  return { type: "reconcile", steps: numberSteps(steps), diff, risk: { level: "low", notes } };
}

const SIZES: ComponentSpec["size"][] = ["small", "medium", "large"];

/**
 * reconcile (component resize): the new size in desired state, then the provider service's limits. No app
 * is redeployed. Resizing Postgres restarts the database; shrinking it may not fit its data, so that waits
 * for an approver (createPlan reads `shrinksDatabase` on the resize-component step).
 */
function planResize(
  input: Omit<PlanInput, "refs">,
  component: ComponentSpec["type"],
  size: ComponentSpec["size"],
): PlanOutput | { error: string } {
  const current = input.spec.components[component];
  if (!current) return { error: `${input.env} has no ${component} to resize` };
  if (current.size === size) return { error: `${component} in ${input.env} is already ${size}` };
  const shrinksDatabase = component === "postgres" && SIZES.indexOf(size) < SIZES.indexOf(current.size);
  const limits = COMPONENT_LIMITS[size];
  // Storage is a bucket, not a Railway service: it has no limits to set.
  const provided = component !== "storage";
  const steps: StepDraft[] = [
    { kind: "resolve-ref", summary: "Keep the current release: no service is redeployed", params: { refs: {} } },
    {
      kind: "update-spec",
      summary: `Desired state: ${component} ${current.size} → ${size}`,
      params: { action: "resize", component, size },
    },
    ...(provided
      ? [
          {
            kind: "resize-component" as const,
            summary: `Set ${SERVICE[component]} in ${input.env} to ${limits.memoryGB} GB / ${limits.vCPUs} vCPU`,
            params: { component, size, shrinksDatabase },
          },
        ]
      : []),
  ];
  const notes = [
    ...(component === "postgres" ? [`Postgres in ${input.env} restarts to take the new size`] : []),
    ...(shrinksDatabase ? ["shrinking Postgres may not fit its data: needs approval before anything changes"] : []),
    ...(provided ? [] : [`${component} has no Railway service: only the desired state changes`]),
  ];
  const risk = {
    level: component === "postgres" ? ("medium" as const) : ("low" as const),
    notes: notes.length ? notes : [`${SERVICE[component]} restarts with the new limits`],
  };
  return {
    type: "reconcile",
    steps: numberSteps(steps),
    diff: [{ path: `components.${component}.size`, op: "change", from: current.size, to: size }],
    risk,
  };
}

/** Root fields for service domains and database templates. */
import {
  createEnvironment,
  createProject,
  getEnvironment,
  getInstance,
  getProject,
  listEnvironments,
} from "../../world/entities";
import {
  createCustomDomain,
  deleteCustomDomain,
  domainAvailability,
  getCustomDomain,
  listCustomDomains,
} from "../../world/custom-domains";
import { createServiceDomain, deleteServiceDomain, listDomains } from "../../world/domains";
import { WorldError } from "../../world/store";
import { deployTemplate, findTemplate, workflowStatus } from "../../world/templates";
import { authed, need, type RootResolver } from "../context";
import { customDomainView, domainView } from "../views";

interface TemplateDeployV2Input {
  templateId: string;
  serializedConfig: unknown;
  projectId?: string | null;
  environmentId?: string | null;
}

/**
 * domains, serviceDomainCreate/Delete, customDomainCreate/Delete, customDomain, customDomainAvailable,
 * template, templateDeployV2, workflowStatus.
 */
export const domainAndTemplateResolvers = {
  domains: authed((args: { projectId: string; environmentId: string; serviceId: string }, { world }) => {
    need(getInstance(world, args.serviceId, args.environmentId), "ServiceInstance");
    return {
      serviceDomains: listDomains(world, { serviceId: args.serviceId, environmentId: args.environmentId }).map(
        domainView,
      ),
      customDomains: listCustomDomains(world, { serviceId: args.serviceId, environmentId: args.environmentId }).map(
        (d) => customDomainView(world, d),
      ),
    };
  }),

  serviceDomainCreate: authed(
    (args: { input: { serviceId: string; environmentId: string; targetPort?: number | null } }, { world }) => {
      need(getInstance(world, args.input.serviceId, args.input.environmentId), "ServiceInstance");
      return domainView(
        createServiceDomain(world, args.input.serviceId, args.input.environmentId, args.input.targetPort ?? null),
      );
    },
  ),

  serviceDomainDelete: authed((args: { id: string }, { world }) => {
    if (!deleteServiceDomain(world, args.id)) throw new WorldError("Domain not found");
    return true;
  }),

  customDomainCreate: authed(
    (
      args: {
        input: {
          projectId: string;
          environmentId: string;
          serviceId: string;
          domain: string;
          targetPort?: number | null;
        };
      },
      { world },
    ) => customDomainView(world, createCustomDomain(world, args.input)),
  ),

  customDomain: authed((args: { id: string; projectId: string }, { world }) => {
    const domain = getCustomDomain(world, args.id);
    if (!domain || domain.project_id !== args.projectId) return need(null, "Domain");
    return customDomainView(world, domain);
  }),

  customDomainDelete: authed((args: { id: string }, { world }) => {
    if (!deleteCustomDomain(world, args.id)) throw new WorldError("Domain not found");
    return true;
  }),

  customDomainAvailable: authed((args: { domain: string }, { world }) => domainAvailability(world, args.domain)),

  // The official CLI reads templates without a token, so this one field is not guarded.
  template: (args: { code?: string | null; id?: string | null }) => need(findTemplate(args), "Template"),

  // Without a projectId Railway deploys the template into a new project.
  templateDeployV2: authed((args: { input: TemplateDeployV2Input }, { world }) => {
    const { input } = args;
    const project = input.projectId
      ? need(getProject(world, input.projectId), "Project")
      : createProject(world, need(findTemplate({ id: input.templateId }), "Template").name);
    const envs = listEnvironments(world, project.id);
    const env = input.environmentId
      ? need(getEnvironment(world, input.environmentId), "Environment")
      : (envs[0] ?? createEnvironment(world, project.id, "production"));
    if (env.project_id !== project.id) need(null, "Environment");
    const { workflowId } = deployTemplate(world, {
      templateId: input.templateId,
      serializedConfig: input.serializedConfig,
      projectId: project.id,
      environmentId: env.id,
    });
    return { projectId: project.id, workflowId };
  }),

  workflowStatus: authed((args: { workflowId: string }, { world }) => workflowStatus(world, args.workflowId)),
} satisfies Record<string, RootResolver>;

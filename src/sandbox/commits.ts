/** `POST /sandbox/commits`: a developer pushes a new head commit to one service's repository, or to all. */
import type { AddCommitInput, SandboxResult } from "./types";
import { deployPush, type PushDeployment } from "./world/auto-deploy";
import { listInstances, listProjects, listServices } from "./world/entities";
import { addCommit, commitCount, listRepos, resolveRef } from "./world/repos";
import type { World } from "./world/store";

/** A commit pushed by addCommits, and what the push deployed by itself (Railway's auto-deploy). */
export interface PushedCommit {
  repo: string;
  branch: string;
  sha: string;
  message: string;
  /** Empty once every connected instance has auto-deploy off: the push then deploys nothing. */
  deployments: PushDeployment[];
}

// A service name maps to `<owner>/<service>` when such a repo exists, else to its instances' source repo.
function reposForService(world: World, service: string): string[] {
  const byName = listRepos(world).filter((r) => r.endsWith(`/${service}`));
  if (byName.length > 0) return byName;
  const ids = listProjects(world)
    .flatMap((p) => listServices(world, p.id))
    .filter((s) => s.name === service)
    .map((s) => s.id);
  const repos = listInstances(world)
    .filter((i) => ids.includes(i.serviceId))
    .map((i) => i.settings.source?.repo ?? null);
  return [...new Set(repos.filter((r): r is string => r !== null))];
}

/**
 * Pushes a head commit to a branch (default main) of the chosen repositories; its message defaults to
 * `v<N+1>`, also its tag. Instances connected to that branch with auto-deploy on deploy it at once.
 */
export function addCommits(world: World, input: AddCommitInput): SandboxResult<PushedCommit[]> {
  const repos = input.service ? reposForService(world, input.service) : listRepos(world);
  if (repos.length === 0) {
    return {
      ok: false,
      code: "not_found",
      message: input.service ? `No repository for service ${input.service}` : "The world has no repositories yet",
    };
  }
  const pushed = repos.map((repo) => {
    const message = input.message ?? `v${commitCount(world, repo) + 1}`;
    // Releases are named like tags (v3); tag the commit so a ref "v3" resolves, unless that tag exists.
    const tag = /^v\d+$/.test(message) && !resolveRef(world, repo, message) ? message : undefined;
    const branch = input.branch ?? "main";
    const commit = addCommit(world, repo, { message, migrations: input.migrations, tag, branch });
    return { repo, branch, sha: commit.sha, message, deployments: deployPush(world, commit, branch) };
  });
  return { ok: true, value: pushed };
}

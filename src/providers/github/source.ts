/** The GitHub adapter: SourceApi over GitHub REST `GET /repos/{owner}/{repo}/commits/{ref}`. */
import { z } from "zod";
import { parseJsonBody, providerRequest, resolveTransportOptions } from "../http";
import { ProviderError, type ProviderContext } from "../types";
import type { SourceApi } from "./api";

export const GITHUB_API_BASE = "https://api.github.com";

export interface GitHubSourceOptions {
  /** Optional: public repositories resolve without one (at a much lower rate limit). */
  token?: string;
  apiBase?: string;
}

const Commit = z.object({
  sha: z.string().regex(/^[0-9a-f]{40}$/),
  commit: z.object({ message: z.string(), author: z.object({ date: z.string() }) }),
});

// Owner/name as GitHub allows them; anything else could smuggle extra path segments into the URL.
const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** Builds the GitHub source adapter used to pin a branch or tag to a commit before deploying it. */
export function createGitHubSource(ctx: ProviderContext, opts: GitHubSourceOptions = {}): SourceApi {
  resolveTransportOptions(ctx);
  const apiBase = (opts.apiBase ?? GITHUB_API_BASE).replace(/\/+$/, "");
  const headers: Record<string, string> = {
    Accept: "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
    "User-Agent": "infra-chat",
    ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
  };

  return {
    async resolveRef(repo, ref) {
      // Git forbids ".." in ref names, so rejecting it costs nothing and closes path traversal.
      if (!REPO.test(repo) || !ref || ref.includes("..")) {
        throw new ProviderError(`invalid repository or ref: ${repo}@${ref}`, "github", null, false);
      }
      const [owner, name] = repo.split("/");
      const commit = await providerRequest(ctx, "github", {
        operation: "GET /repos/{owner}/{repo}/commits/{ref}",
        kind: "idempotent",
        method: "GET",
        url: `${apiBase}/repos/${owner}/${name}/commits/${encodeURIComponent(ref)}`,
        headers,
        read: (response) => parseJsonBody("github", response, Commit),
        responseIds: (c) => ({ sha: c.sha }),
      });
      return { sha: commit.sha, message: commit.commit.message, date: commit.commit.author.date };
    },
  };
}

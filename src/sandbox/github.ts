/** GitHub REST `GET /repos/{owner}/{repo}/commits/{ref}` over the world's simulated repositories. */
import { json } from "./http";
import { parentCommit, repoExists, resolveRef, type RepoCommit } from "./world/repos";
import type { World } from "./world/store";

export const GITHUB_HOST = "api.github.com";
const DOCS = "https://docs.github.com/rest/commits/commits#get-a-commit";

const GITHUB_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "x-github-media-type": "github.v3; format=json",
};

/** GitHub's commit object (the fields clients read, in GitHub's shape). */
function commitBody(world: World, repo: string, c: RepoCommit) {
  const api = `https://${GITHUB_HOST}/repos/${repo}`;
  const person = { name: c.author.name, email: c.author.email, date: c.date };
  const parent = parentCommit(world, c);
  return {
    sha: c.sha,
    node_id: `C_${btoa(c.sha).slice(0, 20)}`,
    commit: {
      author: person,
      committer: person,
      message: c.message,
      tree: { sha: c.sha.split("").reverse().join(""), url: `${api}/git/trees/${c.sha}` },
      url: `${api}/git/commits/${c.sha}`,
      comment_count: 0,
    },
    url: `${api}/commits/${c.sha}`,
    html_url: `https://github.com/${repo}/commit/${c.sha}`,
    author: null,
    committer: null,
    parents: parent
      ? [
          {
            sha: parent.sha,
            url: `${api}/commits/${parent.sha}`,
            html_url: `https://github.com/${repo}/commit/${parent.sha}`,
          },
        ]
      : [],
  };
}

// Git forbids these in ref names; GitHub answers 422 rather than 404 for them.
function malformedRef(ref: string): boolean {
  return ref === "" || /\.\.|[\s~^:?*[\\]|@\{|\/\/|^\/|\/$|\.lock$|^-/.test(ref);
}

/** Answers a GitHub API request; only the commits endpoint exists, everything else is GitHub's 404. */
export function handleGitHub(world: World, request: Request): Response {
  const url = new URL(request.url);
  const match = /^\/repos\/([^/]+)\/([^/]+)\/commits\/(.+)$/.exec(url.pathname);
  if (request.method !== "GET" || !match)
    return json(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" }, GITHUB_HEADERS);
  const repo = `${decodeURIComponent(match[1])}/${decodeURIComponent(match[2])}`;
  const ref = decodeURIComponent(match[3]);
  if (!repoExists(world, repo))
    return json(404, { message: "Not Found", documentation_url: DOCS, status: "404" }, GITHUB_HEADERS);
  if (malformedRef(ref))
    return json(
      422,
      { message: `No commit found for SHA: ${ref}`, documentation_url: DOCS, status: "422" },
      GITHUB_HEADERS,
    );
  const commit = resolveRef(world, repo, ref);
  if (!commit)
    return json(
      404,
      { message: `No commit found for SHA: ${ref}`, documentation_url: DOCS, status: "404" },
      GITHUB_HEADERS,
    );
  return json(200, commitBody(world, repo, commit), GITHUB_HEADERS);
}

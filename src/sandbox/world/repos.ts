/** Simulated Git repositories: linear commit history per repo, branches and tags, Sequelize migrations per commit. */
import type { SandboxCommit } from "../types";
import { iso, parseJson, randomHex, type World } from "./store";

type CommitRow = {
  sha: string;
  repo: string;
  seq: number;
  message: string;
  author_name: string;
  author_email: string;
  committed_at: number;
  migrations: string;
};

/** A commit of a repo with its position in the (linear) history. */
export interface RepoCommit extends SandboxCommit {
  repo: string;
  seq: number;
}

const AUTHORS = [
  { name: "Maya Okafor", email: "maya@invoiceperfect.dev" },
  { name: "Lucas Brandt", email: "lucas@invoiceperfect.dev" },
];

function toCommit(row: CommitRow): RepoCommit {
  return {
    sha: row.sha,
    repo: row.repo,
    seq: row.seq,
    message: row.message,
    author: { name: row.author_name, email: row.author_email },
    date: iso(row.committed_at),
    migrations: parseJson<string[]>(row.migrations),
  };
}

/** Every repository the world knows, by name. */
export function listRepos(world: World): string[] {
  return world.rows<{ repo: string }>("SELECT DISTINCT repo FROM commits ORDER BY repo").map((r) => r.repo);
}

/** Whether the repository exists. */
export function repoExists(world: World, repo: string): boolean {
  return world.first("SELECT 1 AS one FROM commits WHERE repo = ? LIMIT 1", repo) !== null;
}

/** Appends a commit to `branch` (default main), moves the branch head and tags it when `tag` is given. */
export function addCommit(
  world: World,
  repo: string,
  input: { message: string; migrations?: string[]; branch?: string; tag?: string; at?: number },
): RepoCommit {
  const seq = (world.first<{ n: number }>("SELECT COUNT(*) AS n FROM commits WHERE repo = ?", repo)?.n ?? 0) + 1;
  const author = AUTHORS[seq % AUTHORS.length];
  const sha = randomHex(20);
  const at = input.at ?? world.now();
  world.run(
    "INSERT INTO commits VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    sha,
    repo,
    seq,
    input.message,
    author.name,
    author.email,
    at,
    JSON.stringify(input.migrations ?? []),
  );
  setRef(world, repo, "branch", input.branch ?? "main", sha);
  if (input.tag) setRef(world, repo, "tag", input.tag, sha);
  return toCommit({
    sha,
    repo,
    seq,
    message: input.message,
    author_name: author.name,
    author_email: author.email,
    committed_at: at,
    migrations: JSON.stringify(input.migrations ?? []),
  });
}

function setRef(world: World, repo: string, kind: "branch" | "tag", name: string, sha: string): void {
  world.run(
    "INSERT INTO refs VALUES (?, ?, ?, ?) ON CONFLICT(repo, kind, name) DO UPDATE SET sha = excluded.sha",
    repo,
    kind,
    name,
    sha,
  );
}

/** Creates a repository with one initial commit on main unless it already exists. */
export function ensureRepo(world: World, repo: string): void {
  if (!repoExists(world, repo)) addCommit(world, repo, { message: "Initial commit" });
}

/** Number of commits in a repository. */
export function commitCount(world: World, repo: string): number {
  return world.first<{ n: number }>("SELECT COUNT(*) AS n FROM commits WHERE repo = ?", repo)?.n ?? 0;
}

/** The head commit of a branch, or null. */
export function branchHead(world: World, repo: string, branch: string): RepoCommit | null {
  const ref = world.first<{ sha: string }>(
    "SELECT sha FROM refs WHERE repo = ? AND kind = 'branch' AND name = ?",
    repo,
    branch,
  );
  return ref ? getCommit(world, repo, ref.sha) : null;
}

/** A commit by full sha, or by an unambiguous prefix of at least 7 hex characters; else null. */
export function getCommit(world: World, repo: string, sha: string): RepoCommit | null {
  const wanted = sha.toLowerCase();
  if (!/^[0-9a-f]{7,40}$/.test(wanted)) return null;
  const rows = world.rows<CommitRow>(
    "SELECT * FROM commits WHERE repo = ? AND substr(sha, 1, ?) = ? LIMIT 2",
    repo,
    wanted.length,
    wanted,
  );
  return rows.length === 1 ? toCommit(rows[0]) : null;
}

/** Resolves a ref as GitHub does: branch, then tag, then sha (full or prefix). */
export function resolveRef(world: World, repo: string, ref: string): RepoCommit | null {
  const named = world.first<{ sha: string }>(
    "SELECT sha FROM refs WHERE repo = ? AND name = ? ORDER BY CASE kind WHEN 'branch' THEN 0 ELSE 1 END LIMIT 1",
    repo,
    ref,
  );
  return named ? getCommit(world, repo, named.sha) : getCommit(world, repo, ref);
}

/** The commits of a repository, oldest first. */
export function listCommits(world: World, repo: string): RepoCommit[] {
  return world.rows<CommitRow>("SELECT * FROM commits WHERE repo = ? ORDER BY seq", repo).map(toCommit);
}

/** The parent of a commit in its linear history, or null for the first. */
export function parentCommit(world: World, commit: RepoCommit): RepoCommit | null {
  const row = world.first<CommitRow>("SELECT * FROM commits WHERE repo = ? AND seq = ?", commit.repo, commit.seq - 1);
  return row ? toCommit(row) : null;
}

/** Every migration the code at `commit` ships (its own and its ancestors'), in name order as Sequelize runs them. */
export function migrationsAt(world: World, commit: RepoCommit): string[] {
  const names = world
    .rows<{ migrations: string }>("SELECT migrations FROM commits WHERE repo = ? AND seq <= ?", commit.repo, commit.seq)
    .flatMap((r) => parseJson<string[]>(r.migrations));
  return [...new Set(names)].sort();
}

/** Tags of a repository pointing at each sha. */
export function tagsBySha(world: World, repo: string): Map<string, string[]> {
  const tags = new Map<string, string[]>();
  for (const r of world.rows<{ name: string; sha: string }>(
    "SELECT name, sha FROM refs WHERE repo = ? AND kind = 'tag'",
    repo,
  )) {
    tags.set(r.sha, [...(tags.get(r.sha) ?? []), r.name]);
  }
  return tags;
}

/** Source control: resolves a branch or tag to a commit (GitHub REST `GET /repos/{owner}/{repo}/commits/{ref}`). */
export interface SourceCommit {
  sha: string;
  message: string;
  date: string;
}

export interface SourceApi {
  /** The commit a ref (branch, tag or sha) points at; ProviderError 404-like when unknown. */
  resolveRef(repo: string, ref: string): Promise<SourceCommit>;
}

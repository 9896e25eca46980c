/**
 * The provider HTTP layer and the Railway and GitHub adapters, driven by a scripted fake fetch:
 * retries, write safety, Retry-After, timeouts, receipts, redaction, wire format and response mapping.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createGitHubSource } from "../../src/providers/github/source";
import { parseJsonBody, parseRetryAfter, providerRequest, type RequestKind } from "../../src/providers/http";
import { createRailwayApi, RAILWAY_ENDPOINT } from "../../src/providers/railway/adapter";
import { RAILWAY_DOCUMENTS } from "../../src/providers/railway/documents";
import type { ProviderContext, Receipt } from "../../src/providers/types";
import { failureOf } from "./helpers";

interface RecordedRequest {
  url: string;
  method: string;
  headers: Headers;
  body: string | null;
  signal: AbortSignal | null;
}

/** A scripted reply: a response, "hang" (until the attempt's signal aborts), or a network error. */
type Reply = Response | "hang" | Error;

/** A fake provider: records every request and answers with the next scripted reply; extra requests fail the test. */
function fakeProvider(replies: Reply[], overrides: Partial<ProviderContext> = {}) {
  const requests: RecordedRequest[] = [];
  const receipts: Receipt[] = [];
  const sleeps: number[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const signal = init?.signal ?? null;
    requests.push({
      url: String(input),
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      body: typeof init?.body === "string" ? init.body : null,
      signal,
    });
    const reply = replies.shift();
    if (reply === undefined) throw new Error(`unexpected request #${requests.length} to ${String(input)}`);
    if (reply instanceof Error) throw reply;
    if (reply === "hang")
      return new Promise((_, reject) => signal?.addEventListener("abort", () => reject(new Error("aborted"))));
    return reply;
  };
  const ctx: ProviderContext = {
    fetch,
    onReceipt: (receipt) => receipts.push(receipt),
    sleep: async (ms) => void sleeps.push(ms),
    ...overrides,
  };
  return { ctx, requests, receipts, sleeps };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
const graphql = (data: unknown) => json(200, { data });

function ping(ctx: ProviderContext, kind: RequestKind = "idempotent", body?: string) {
  return providerRequest(ctx, "cloudflare", {
    operation: "POST /ping",
    kind,
    method: "POST",
    url: "https://provider.test/ping",
    body,
    read: (response) => parseJsonBody("cloudflare", response, z.object({ ok: z.literal(true) })),
  });
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("providerRequest", () => {
  it("retries a 429 after its Retry-After, then succeeds with one receipt", async () => {
    const { ctx, requests, receipts, sleeps } = fakeProvider([
      json(429, {}, { "Retry-After": "2" }),
      json(200, { ok: true }),
    ]);
    await expect(ping(ctx)).resolves.toEqual({ ok: true });
    expect(requests).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({ provider: "cloudflare", operation: "POST /ping", status: 200, attempts: 2 });
    expect(receipts[0].error).toBeUndefined();
  });

  it("re-sends a write after a 429, because the provider did not process it", async () => {
    const { ctx, requests } = fakeProvider([json(429, {}, { "Retry-After": "1" }), json(200, { ok: true })]);
    await expect(ping(ctx, "write")).resolves.toEqual({ ok: true });
    expect(requests).toHaveLength(2);
  });

  it("retries 5xx on an idempotent call with full-jitter backoff, up to maxAttempts", async () => {
    const { ctx, requests, receipts, sleeps } = fakeProvider([json(503, {}), json(502, {}), json(200, { ok: true })]);
    await expect(ping(ctx)).resolves.toEqual({ ok: true });
    expect(requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(0);
    expect(sleeps[0]).toBeLessThan(250);
    expect(sleeps[1]).toBeLessThan(500);
    expect(receipts).toHaveLength(1);
    expect(receipts[0].attempts).toBe(3);

    const exhausted = fakeProvider([json(500, {}), json(500, {})], { maxAttempts: 2 });
    const error = await failureOf(ping(exhausted.ctx));
    expect(error).toMatchObject({ retryable: true, ambiguous: false, status: 500 });
    expect(exhausted.requests).toHaveLength(2);
    expect(exhausted.receipts).toMatchObject([{ attempts: 2, status: 500 }]);
  });

  it("does not re-send a write after a 5xx and surfaces it as ambiguous", async () => {
    const { ctx, requests, receipts } = fakeProvider([json(500, {}), json(200, { ok: true })]);
    const error = await failureOf(ping(ctx, "write"));
    expect(error).toMatchObject({ retryable: true, ambiguous: true, status: 500, provider: "cloudflare" });
    expect(requests).toHaveLength(1);
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({ attempts: 1, status: 500 });
    expect(receipts[0].error).toContain("may have been applied");
  });

  it("hands a long Retry-After back as retryAfterMs instead of sleeping on it", async () => {
    const { ctx, requests, receipts, sleeps } = fakeProvider([json(429, {}, { "Retry-After": "120" })]);
    const error = await failureOf(ping(ctx));
    expect(error).toMatchObject({ retryable: true, ambiguous: false, retryAfterMs: 120_000, status: 429 });
    expect(sleeps).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(receipts).toMatchObject([{ attempts: 1, status: 429 }]);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-11-26T12:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("Thu, 26 Nov 2026 12:01:00 GMT", now)).toBe(60_000);
    expect(parseRetryAfter("Thu, 26 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("aborts an attempt that outlives its timeout; an idempotent call retries, a write is ambiguous", async () => {
    const read = fakeProvider(["hang", "hang"], { timeoutMs: 20, maxAttempts: 2 });
    const error = await failureOf(ping(read.ctx));
    expect(error).toMatchObject({ retryable: true, ambiguous: false, status: null });
    expect(error.message).toContain("timed out after 20 ms");
    expect(read.requests.map((r) => r.signal?.aborted)).toEqual([true, true]);
    expect(read.receipts).toMatchObject([{ attempts: 2, status: null }]);

    const write = fakeProvider(["hang"], { timeoutMs: 20 });
    expect(await failureOf(ping(write.ctx, "write"))).toMatchObject({ ambiguous: true, retryable: true });
    expect(write.requests).toHaveLength(1);
  });

  it("retries a network error on an idempotent call", async () => {
    const { ctx, requests } = fakeProvider([new TypeError("connection reset"), json(200, { ok: true })]);
    await expect(ping(ctx)).resolves.toEqual({ ok: true });
    expect(requests).toHaveLength(2);
  });

  it("treats other 4xx as final and not retryable, quoting the provider's message", async () => {
    const { ctx, requests } = fakeProvider([json(400, { errors: [{ code: 1004, message: "bad zone" }] })]);
    const error = await failureOf(ping(ctx));
    expect(error).toMatchObject({ retryable: false, status: 400 });
    expect(error.message).toBe("POST /ping: HTTP 400: bad zone");
    expect(requests).toHaveLength(1);
  });

  it("keeps a secret out of receipts and errors, and hashes the redacted body", async () => {
    const secret = "s3cr3t-value";
    const redact = (text: string) => text.replaceAll(secret, "[redacted]");
    const body = JSON.stringify({ password: secret });
    const { ctx, receipts } = fakeProvider([json(400, { message: `password ${secret} is too weak` })], { redact });
    const error = await failureOf(ping(ctx, "idempotent", body));
    expect(error.message).not.toContain(secret);
    expect(error.message).toContain("[redacted]");
    expect(JSON.stringify(receipts)).not.toContain(secret);
    expect(receipts[0].requestHash).toBe(await sha256Hex(redact(body)));
    expect(receipts[0].requestHash).not.toBe(await sha256Hex(body));
  });

  it("refuses invalid transport options when an adapter is built", () => {
    const { ctx } = fakeProvider([], { maxAttempts: 0 });
    expect(() => createRailwayApi(ctx, { token: "t" })).toThrow(/maxAttempts/);
  });
});

describe("Railway adapter", () => {
  it("sends serviceInstanceDeployV2 with its operation name and variables, and receipts the deployment id", async () => {
    const { ctx, requests, receipts } = fakeProvider([graphql({ serviceInstanceDeployV2: "dep-9" })]);
    const api = createRailwayApi(ctx, { token: "rw-token" });
    await expect(api.deployService("svc-1", "env-1", "abc123")).resolves.toBe("dep-9");
    const [request] = requests;
    expect(request.url).toBe(RAILWAY_ENDPOINT);
    expect(request.method).toBe("POST");
    expect(request.headers.get("Authorization")).toBe("Bearer rw-token");
    expect(request.headers.get("Content-Type")).toBe("application/json");
    expect(JSON.parse(request.body ?? "")).toEqual({
      query: RAILWAY_DOCUMENTS.ServiceInstanceDeployV2,
      operationName: "ServiceInstanceDeployV2",
      variables: { serviceId: "svc-1", environmentId: "env-1", commitSha: "abc123" },
    });
    expect(receipts).toMatchObject([
      { provider: "railway", operation: "ServiceInstanceDeployV2", responseIds: { deploymentId: "dep-9" } },
    ]);
    expect(JSON.stringify(receipts)).not.toContain("rw-token");
  });

  it("sends a project token in Project-Access-Token, not Authorization", async () => {
    const { ctx, requests } = fakeProvider([graphql({ deploymentRollback: true })]);
    await createRailwayApi(ctx, { token: "proj-token", tokenKind: "project" }).rollbackDeployment("dep-1");
    expect(requests[0].headers.get("Project-Access-Token")).toBe("proj-token");
    expect(requests[0].headers.get("Authorization")).toBeNull();
  });

  it("treats deploys as writes (no re-send after a 5xx) and variable upserts as idempotent", async () => {
    const deploy = fakeProvider([json(502, {}), graphql({ serviceInstanceDeployV2: "dep-2" })]);
    expect(await failureOf(createRailwayApi(deploy.ctx, { token: "t" }).deployService("s", "e"))).toMatchObject({
      ambiguous: true,
    });
    expect(deploy.requests).toHaveLength(1);

    const upsert = fakeProvider([json(502, {}), graphql({ variableCollectionUpsert: true })]);
    await createRailwayApi(upsert.ctx, { token: "t" }).upsertVariables({
      projectId: "p",
      environmentId: "e",
      serviceId: "s",
      variables: { A: "1" },
    });
    expect(upsert.requests).toHaveLength(2);
    expect(JSON.parse(upsert.requests[1].body ?? "").variables.input).toEqual({
      projectId: "p",
      environmentId: "e",
      serviceId: "s",
      variables: { A: "1" },
      replace: false,
    });
  });

  it("maps projects with their environments, and deployments newest first", async () => {
    const node = (id: string, createdAt: string) => ({
      node: {
        id,
        status: "SUCCESS",
        createdAt,
        meta: { commitHash: id },
        canRollback: true,
        url: null,
        staticUrl: null,
      },
    });
    const { ctx } = fakeProvider([
      graphql({
        projects: {
          edges: [
            { node: { id: "p1", name: "shop", environments: { edges: [{ node: { id: "e1", name: "production" } }] } } },
          ],
        },
      }),
      graphql({ deployments: { edges: [node("old", "2026-11-01T00:00:00Z"), node("new", "2026-11-02T00:00:00Z")] } }),
    ]);
    const api = createRailwayApi(ctx, { token: "t" });
    expect(await api.listProjects()).toEqual([
      { id: "p1", name: "shop", environments: [{ id: "e1", name: "production" }] },
    ]);
    const deployments = await api.listDeployments({ projectId: "p1", environmentId: "e1", serviceId: "s1" });
    expect(deployments.map((d) => d.id)).toEqual(["new", "old"]);
    expect(deployments[0].meta).toEqual({ commitHash: "new" });
  });

  it("turns GraphQL errors into a ProviderError; Not Authorized is not retryable", async () => {
    const { ctx, requests, receipts } = fakeProvider([
      json(200, { data: null, errors: [{ message: "Not Authorized" }] }),
    ]);
    const error = await failureOf(createRailwayApi(ctx, { token: "t" }).listServices("p1"));
    expect(error).toMatchObject({ provider: "railway", retryable: false });
    expect(error.message).toContain("Not Authorized");
    expect(requests).toHaveLength(1);
    expect(receipts[0].error).toContain("Not Authorized");
  });

  it("fails a response whose shape does not match, and a mutation answering false", async () => {
    const { ctx } = fakeProvider([
      graphql({ deployment: { id: 7, status: "SUCCESS" } }),
      graphql({ variableDelete: false }),
    ]);
    const api = createRailwayApi(ctx, { token: "t" });
    expect((await failureOf(api.getDeployment("d1"))).message).toContain("unexpected response shape");
    const refused = await failureOf(
      api.deleteVariable({ projectId: "p", environmentId: "e", serviceId: "s", name: "X" }),
    );
    expect(refused.message).toContain("Railway answered false");
  });
});

describe("GitHub source", () => {
  const commit = {
    sha: "0123456789abcdef0123456789abcdef01234567",
    commit: { message: "fix: totals", author: { date: "2026-11-20T10:00:00Z" } },
  };

  it("resolves a ref to its commit through the REST API with GitHub's headers", async () => {
    const { ctx, requests, receipts } = fakeProvider([json(200, commit)]);
    const source = createGitHubSource(ctx, { token: "gh-token" });
    await expect(source.resolveRef("acme/shop", "release/1.2")).resolves.toEqual({
      sha: commit.sha,
      message: "fix: totals",
      date: "2026-11-20T10:00:00Z",
    });
    const [request] = requests;
    expect(request.method).toBe("GET");
    expect(request.url).toBe("https://api.github.com/repos/acme/shop/commits/release%2F1.2");
    expect(request.headers.get("Accept")).toBe("application/vnd.github+json");
    expect(request.headers.get("X-GitHub-Api-Version")).toBe("2022-11-28");
    expect(request.headers.get("User-Agent")).toBe("infra-chat");
    expect(request.headers.get("Authorization")).toBe("Bearer gh-token");
    expect(receipts).toMatchObject([{ provider: "github", status: 200, responseIds: { sha: commit.sha } }]);
  });

  it("sends no Authorization header without a token", async () => {
    const { ctx, requests } = fakeProvider([json(200, commit)]);
    await createGitHubSource(ctx).resolveRef("acme/shop", "main");
    expect(requests[0].headers.get("Authorization")).toBeNull();
  });

  it("reports an unknown ref (404) or bad sha (422) as a non-retryable ProviderError", async () => {
    const { ctx, requests } = fakeProvider([
      json(404, { message: "Not Found" }),
      json(422, { message: "No commit found for SHA: nope" }),
    ]);
    const source = createGitHubSource(ctx);
    expect(await failureOf(source.resolveRef("acme/shop", "gone"))).toMatchObject({
      status: 404,
      retryable: false,
      provider: "github",
    });
    expect(await failureOf(source.resolveRef("acme/shop", "nope"))).toMatchObject({ status: 422, retryable: false });
    expect(requests).toHaveLength(2);
  });

  it("refuses a repository or ref that could escape the commits path, without calling GitHub", async () => {
    const { ctx, requests } = fakeProvider([]);
    const source = createGitHubSource(ctx);
    await failureOf(source.resolveRef("acme/shop/../../orgs", "main"));
    await failureOf(source.resolveRef("acme/shop", "../../x"));
    expect(requests).toHaveLength(0);
  });
});

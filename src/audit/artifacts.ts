import type { Receipt } from "../providers/types";
import type { DigestStore } from "./anchor";

/** Artifacts in R2 under <root>/<ownerId>/… (runs/<runId>/, incidents/<incidentId>/); bodies are redacted on write. */
export interface ArtifactStore {
  put(runId: string, name: string, body: unknown): Promise<void>;
  get(runId: string, name: string): Promise<{ body: ReadableStream; contentType: string } | null>;
  list(runId: string): Promise<string[]>;
}

/**
 * ArtifactStore backed by an R2 bucket. `render` turns a body into the text stored — redacted: artifacts
 * leave the process (served to viewers, downloaded with bundles), so they are scrubbed as they are written.
 */
export function createR2ArtifactStore(
  bucket: R2Bucket,
  render: (body: unknown) => Promise<string>,
  root = "runs",
): ArtifactStore {
  const key = (runId: string, name: string) => `${root}/${runId}/${name}`;
  return {
    async put(runId, name, body) {
      await bucket.put(key(runId, name), await render(body), { httpMetadata: { contentType: contentTypeOf(name) } });
    },
    async get(runId, name) {
      const object = await bucket.get(key(runId, name));
      return object
        ? { body: object.body, contentType: object.httpMetadata?.contentType ?? contentTypeOf(name) }
        : null;
    },
    async list(runId) {
      const prefix = `${root}/${runId}/`;
      const names: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await bucket.list({ prefix, cursor });
        names.push(...page.objects.map((o) => o.key.slice(prefix.length)));
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return names.sort();
    },
  };
}

/** Adds receipts to receipts/<stepId>.json under `ownerId` (a run or an incident): every call of every attempt. */
export async function appendReceipts(
  artifacts: ArtifactStore,
  ownerId: string,
  stepId: string,
  receipts: Receipt[],
): Promise<void> {
  const name = `receipts/${stepId}.json`;
  const existing = await artifacts.get(ownerId, name);
  const previous = existing ? (JSON.parse(await new Response(existing.body).text()) as Receipt[]) : [];
  await artifacts.put(ownerId, name, [...previous, ...receipts]);
}

/** Generated archives kept by key (a bootstrap archive per spec revision): read back before building again. */
export interface ArchiveStore {
  get(key: string): Promise<Uint8Array | null>;
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
}

/** ArchiveStore backed by an R2 bucket. */
export function createR2ArchiveStore(bucket: R2Bucket): ArchiveStore {
  return {
    async get(key) {
      const stored = await bucket.get(key);
      return stored ? new Uint8Array(await stored.arrayBuffer()) : null;
    },
    async put(key, bytes, contentType) {
      await bucket.put(key, bytes, { httpMetadata: { contentType } });
    },
  };
}

const DIGESTS = "audit/digests/";

/** Hourly audit digests in R2 at audit/digests/<chain>/<ISO time>.json: key order is time order. */
export function createR2DigestStore(bucket: R2Bucket): DigestStore {
  const listKeys = async (prefix: string, delimiter?: string) => {
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await bucket.list({ prefix, cursor, delimiter });
      keys.push(...(delimiter ? page.delimitedPrefixes : page.objects.map((o) => o.key)));
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    return keys;
  };
  return {
    async put(chain, at, text) {
      const key = `${DIGESTS}${chain}/${at}.json`;
      await bucket.put(key, text, { httpMetadata: { contentType: "application/json" } });
      return key;
    },
    async get(key) {
      return (await bucket.get(key))?.text() ?? null;
    },
    async list(chain) {
      return (await listKeys(`${DIGESTS}${chain}/`)).sort();
    },
    async chains() {
      return (await listKeys(DIGESTS, "/")).map((p) => p.slice(DIGESTS.length, -1));
    },
  };
}

function contentTypeOf(name: string): string {
  if (name.endsWith(".json")) return "application/json";
  if (name.endsWith(".md")) return "text/markdown; charset=utf-8";
  return "text/plain; charset=utf-8";
}

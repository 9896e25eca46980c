/**
 * The Cloudflare v4 calls the edge router needs (providers/cloudflare.md "Workers (for an edge router)"): upload
 * a module Worker with its bindings (multipart: a `metadata` JSON part and the module), read and change its
 * bindings (`/settings`, multipart with a `settings` JSON part), route a zone hostname to it, and the account's
 * subscriptions (whether it has Load Balancing, which decides the default router). Every call goes through
 * providerRequest like the rest of the adapter: timeouts, bounded retries, one receipt.
 */
import { z } from "zod";
import { providerRequest, resolveTransportOptions } from "../http";
import type { ProviderContext } from "../types";
import { CLOUDFLARE_API_BASE, pathId, readEnvelope } from "./adapter";

/** The binding kinds the router uses (multipart upload metadata, "bindings"). */
export type WorkerBinding =
  | { type: "json"; name: string; json: unknown }
  | { type: "secret_text"; name: string; text: string }
  | { type: "plain_text"; name: string; text: string };

export interface WorkerModuleUpload {
  /** The module's part name, also `main_module`, e.g. "router.js". */
  mainModule: string;
  /** The ES module's source. */
  source: string;
  compatibilityDate: string;
  bindings: WorkerBinding[];
}

export interface WorkerScript {
  id: string;
  etag: string | null;
}

/** A binding as settings return it: secrets come back without their text. */
export interface WorkerSettingsBinding {
  type: string;
  name: string;
  json?: unknown;
}

export interface WorkerRoute {
  id: string;
  pattern: string;
  script: string | null;
}

export interface CloudflareWorkersApi {
  /** `GET /accounts/{account_id}/subscriptions`: the product names the account pays for (e.g. prod_load_balancing). */
  subscriptions(accountId: string): Promise<string[]>;
  /** `PUT /accounts/{account_id}/workers/scripts/{script_name}`: creates or replaces the script and deploys it. */
  uploadModule(accountId: string, scriptName: string, upload: WorkerModuleUpload): Promise<WorkerScript>;
  /** `GET …/scripts/{script_name}/settings`. */
  settings(accountId: string, scriptName: string): Promise<WorkerSettingsBinding[]>;
  /** `PATCH …/scripts/{script_name}/settings` with the whole binding list (it replaces the one in force). */
  patchBindings(accountId: string, scriptName: string, bindings: WorkerBinding[]): Promise<WorkerSettingsBinding[]>;
  /** `GET /zones/{zone_id}/workers/routes`. */
  routes(zoneId: string): Promise<WorkerRoute[]>;
  /** `POST /zones/{zone_id}/workers/routes`. Not idempotent: list first. */
  createRoute(zoneId: string, route: { pattern: string; script: string }): Promise<WorkerRoute>;
  /** `PUT /zones/{zone_id}/workers/routes/{route_id}`. */
  updateRoute(zoneId: string, routeId: string, route: { pattern: string; script: string }): Promise<WorkerRoute>;
  /** `DELETE /zones/{zone_id}/workers/routes/{route_id}`. */
  deleteRoute(zoneId: string, routeId: string): Promise<void>;
}

const Subscription = z.object({ product: z.object({ name: z.string() }).nullish() });
const Script = z.object({ id: z.string(), etag: z.string().nullish() });
const SettingsResult = z.object({
  bindings: z
    .array(z.object({ type: z.string(), name: z.string(), json: z.unknown().optional() }))
    .nullish()
    .transform((b) => b ?? []),
});
const Route = z.object({ id: z.string(), pattern: z.string(), script: z.string().nullish() });
// A route write answers with at least its id (the 2024-08 spec types the result as any object).
const RouteWritten = z.object({ id: z.string() });
const Deleted = z.object({ id: z.string() }).or(z.null());

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** One part of a multipart/form-data body. */
interface Part {
  name: string;
  filename?: string;
  contentType: string;
  content: string;
}

/** multipart/form-data as a string (the transport sends text; the router script is ASCII). */
export function multipartBody(parts: Part[], boundary: string): string {
  const lines: string[] = [];
  for (const p of parts) {
    if (p.content.includes(`--${boundary}`)) throw new Error("multipart boundary occurs in a part");
    const filename = p.filename === undefined ? "" : `; filename="${p.filename}"`;
    lines.push(`--${boundary}`, `Content-Disposition: form-data; name="${p.name}"${filename}`);
    lines.push(`Content-Type: ${p.contentType}`, "", p.content);
  }
  lines.push(`--${boundary}--`, "");
  return lines.join("\r\n");
}

/** Builds the Workers client over the same token and transport as the rest of the Cloudflare adapter. */
export function createCloudflareWorkersApi(
  ctx: ProviderContext,
  opts: { token: string; apiBase?: string },
): CloudflareWorkersApi {
  if (!opts.token) throw new Error("Cloudflare token is required");
  resolveTransportOptions(ctx);
  const apiBase = (opts.apiBase ?? CLOUDFLARE_API_BASE).replace(/\/+$/, "");

  function call<T>(
    method: Method,
    template: string,
    params: Record<string, string>,
    schema: z.ZodType<T>,
    body?: { json: unknown } | { parts: Part[] },
  ): Promise<T> {
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => pathId(template, name, params[name]));
    let contentType: string | undefined;
    let text: string | undefined;
    if (body && "json" in body) {
      contentType = "application/json";
      text = JSON.stringify(body.json);
    } else if (body) {
      const boundary = `infra-chat-${crypto.randomUUID()}`;
      contentType = `multipart/form-data; boundary=${boundary}`;
      text = multipartBody(body.parts, boundary);
    }
    return providerRequest(ctx, "cloudflare", {
      operation: `${method} ${template}`,
      // Creating a route is the one write that is not idempotent; uploads and settings replace what is there.
      kind: method === "POST" ? "write" : "idempotent",
      method,
      url: `${apiBase}${path}`,
      headers: { Authorization: `Bearer ${opts.token}`, ...(contentType ? { "Content-Type": contentType } : {}) },
      body: text,
      read: (response) => readEnvelope(response, schema),
      responseIds: () => params,
    });
  }

  const script = "/accounts/{account_id}/workers/scripts/{script_name}";
  const routes = "/zones/{zone_id}/workers/routes";
  const settingsPart = (bindings: WorkerBinding[]): Part => ({
    name: "settings",
    contentType: "application/json",
    content: JSON.stringify({ bindings }),
  });

  return {
    async subscriptions(accountId) {
      const list = await call(
        "GET",
        "/accounts/{account_id}/subscriptions",
        { account_id: accountId },
        z.array(Subscription),
      );
      return list.flatMap((s) => (s.product ? [s.product.name] : []));
    },
    async uploadModule(accountId, scriptName, upload) {
      const metadata = {
        main_module: upload.mainModule,
        compatibility_date: upload.compatibilityDate,
        bindings: upload.bindings,
      };
      const parts: Part[] = [
        { name: "metadata", contentType: "application/json", content: JSON.stringify(metadata) },
        {
          name: upload.mainModule,
          filename: upload.mainModule,
          contentType: "application/javascript+module",
          content: upload.source,
        },
      ];
      const result = await call("PUT", script, { account_id: accountId, script_name: scriptName }, Script, { parts });
      return { id: result.id, etag: result.etag ?? null };
    },
    async settings(accountId, scriptName) {
      const path = `${script}/settings`;
      return (await call("GET", path, { account_id: accountId, script_name: scriptName }, SettingsResult)).bindings;
    },
    async patchBindings(accountId, scriptName, bindings) {
      const path = `${script}/settings`;
      const params = { account_id: accountId, script_name: scriptName };
      return (await call("PATCH", path, params, SettingsResult, { parts: [settingsPart(bindings)] })).bindings;
    },
    async routes(zoneId) {
      const list = await call("GET", routes, { zone_id: zoneId }, z.array(Route));
      return list.map((r) => ({ id: r.id, pattern: r.pattern, script: r.script ?? null }));
    },
    async createRoute(zoneId, route) {
      const r = await call("POST", routes, { zone_id: zoneId }, RouteWritten, { json: route });
      return { id: r.id, ...route };
    },
    async updateRoute(zoneId, routeId, route) {
      const params = { zone_id: zoneId, route_id: routeId };
      const r = await call("PUT", `${routes}/{route_id}`, params, RouteWritten, { json: route });
      return { id: r.id, ...route };
    },
    async deleteRoute(zoneId, routeId) {
      await call("DELETE", `${routes}/{route_id}`, { zone_id: zoneId, route_id: routeId }, Deleted);
    },
  };
}

/**
 * Cloudflare's Workers API over the world (cloudflare.md "Workers (for an edge router)"): module script
 * uploads with their bindings (multipart: a `metadata` JSON part plus the module parts), the script's
 * settings (GET, and PATCH with a `settings` JSON part whose bindings replace the ones in force), listing and
 * deleting scripts, and zone routes that put a script in front of a hostname. The sandbox keeps the script
 * and never runs it: cloudflare/edge-router.ts does what the uploaded router would, from its bindings.
 */
import { hashString } from "../traffic/random";
import type { JsonValue } from "../types";
import { iso } from "../world/store";
import { fail, parseObjectBody, wholeList, type CfContext, type CfReply } from "./envelope";
import type { WorkerBinding, WorkerScriptSettings } from "./model";
import { boundaryOf, parseMultipart, type FormPart } from "./multipart";
import {
  bindingViews,
  deleteResource,
  getResource,
  getZone,
  insertResource,
  listResources,
  updateResource,
  type StoredResource,
} from "./store";

const SCRIPT_NAME = /^[a-z0-9_][a-z0-9-_]*$/;
const BINDING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MODULE_TYPES = new Set(["application/javascript+module", "text/javascript+module"]);
/** The paid plan's compressed limit; the sandbox counts uncompressed bytes, which only errs on the strict side. */
const MAX_SCRIPT_BYTES = 10 * 1024 * 1024;

/** The script named in the path, or null. */
export function findScript(cx: CfContext, name: string): StoredResource<"worker_script"> | null {
  return listResources(cx.world, "worker_script", cx.accountId).find((s) => s.settings.name === name) ?? null;
}

function requireScript(cx: CfContext, name: string): StoredResource<"worker_script"> {
  const script = findScript(cx, name);
  if (!script) throw fail(404, 10007, "This Worker does not exist on your account.");
  return script;
}

function partsOf(cx: CfContext): FormPart[] {
  const boundary = boundaryOf(cx.contentType);
  if (!boundary) throw fail(400, 10021, "Expected a multipart/form-data body");
  const parts = parseMultipart(cx.text, boundary);
  if (!parts) throw fail(400, 10021, "Malformed multipart body");
  return parts;
}

function jsonPart(parts: FormPart[], name: string): Record<string, unknown> {
  const part = parts.find((p) => p.name === name);
  if (!part) throw fail(400, 10021, `Missing the "${name}" part`);
  return parseObjectBody(part.content);
}

/**
 * Bindings as the metadata or settings list them. `inherit` keeps a binding of the version in force by name
 * (secrets come back from reads without their text, so that is how a settings change keeps one).
 */
function readBindings(value: unknown, previous: WorkerBinding[]): WorkerBinding[] {
  if (value === undefined) return previous;
  if (!Array.isArray(value)) throw fail(400, 10021, "bindings must be a list");
  const seen = new Set<string>();
  return value.map((raw): WorkerBinding => {
    const b = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
    const name = typeof b.name === "string" ? b.name : "";
    if (!BINDING_NAME.test(name)) throw fail(400, 10021, `binding name "${name}" is not a JavaScript identifier`);
    if (seen.has(name)) throw fail(400, 10021, `binding "${name}" is declared twice`);
    seen.add(name);
    switch (b.type) {
      case "json":
        if (b.json === undefined) throw fail(400, 10021, `json binding "${name}" needs "json"`);
        return { type: "json", name, json: b.json as JsonValue };
      case "plain_text":
      case "secret_text":
        if (typeof b.text !== "string") throw fail(400, 10021, `${b.type} binding "${name}" needs "text"`);
        return { type: b.type, name, text: b.text };
      case "inherit": {
        const kept = previous.find((p) => p.name === name);
        if (!kept) throw fail(400, 10021, `binding "${name}" cannot be inherited: the script has none by that name`);
        return kept;
      }
      default:
        throw fail(400, 10021, `binding type ${String(b.type)} is not supported by the sandbox`);
    }
  });
}

function etagOf(source: string, bindings: WorkerBinding[]): string {
  const text = `${source}\n${JSON.stringify(bindings)}`;
  return [0, 1, 2, 3, 4, 5, 6, 7].map((i) => hashString(`${i}:${text}`).toString(16).padStart(8, "0")).join("");
}

function scriptView(r: StoredResource<"worker_script">) {
  return {
    id: r.settings.name,
    etag: r.settings.etag,
    handlers: ["fetch"],
    created_on: iso(r.createdAt),
    modified_on: iso(r.modifiedAt),
    usage_model: "standard",
    compatibility_date: r.settings.compatibilityDate,
    logpush: false,
  };
}

function settingsView(r: StoredResource<"worker_script">) {
  return {
    bindings: bindingViews(r.settings),
    compatibility_date: r.settings.compatibilityDate,
    compatibility_flags: r.settings.compatibilityFlags,
    logpush: false,
    placement: {},
    tail_consumers: [],
    usage_model: "standard",
  };
}

/** PUT /accounts/{account_id}/workers/scripts/{script_name}: a module Worker and its bindings, deployed. */
function uploadScript(cx: CfContext, name: string): CfReply {
  if (!SCRIPT_NAME.test(name)) throw fail(400, 10016, "Invalid Worker name");
  const parts = partsOf(cx);
  const metadata = jsonPart(parts, "metadata");
  const main = metadata.main_module;
  if (typeof main !== "string") throw fail(400, 10021, "metadata.main_module is required for a module Worker");
  const module = parts.find((p) => p.name === main);
  if (!module) throw fail(400, 10021, `No such module "${main}" in the upload`);
  if (!MODULE_TYPES.has(module.contentType ?? ""))
    throw fail(400, 10021, `"${main}" must be sent as application/javascript+module`);
  if (!/\bexport\s*\{[^}]*\bas\s+default\b|\bexport\s+default\b/.test(module.content))
    throw fail(400, 10021, "No event handlers were registered. This script does nothing.");
  const date = metadata.compatibility_date;
  if (typeof date !== "string" || !DATE.test(date)) throw fail(400, 10021, "metadata.compatibility_date is required");
  const flags = Array.isArray(metadata.compatibility_flags) ? metadata.compatibility_flags.map(String) : [];
  const modules = parts
    .filter((p) => p.name !== "metadata")
    .map((p) => ({ name: p.name, contentType: p.contentType ?? "", bytes: p.content.length }));
  if (modules.reduce((n, m) => n + m.bytes, 0) > MAX_SCRIPT_BYTES)
    throw fail(400, 10027, "Your Worker exceeded the size limit");
  const existing = findScript(cx, name);
  const bindings = readBindings(metadata.bindings ?? [], existing?.settings.bindings ?? []);
  const settings: WorkerScriptSettings = {
    name,
    mainModule: main,
    source: module.content,
    modules,
    compatibilityDate: date,
    compatibilityFlags: flags,
    bindings,
    etag: etagOf(module.content, bindings),
  };
  const stored = existing
    ? updateResource(cx.world, existing, settings)
    : insertResource(cx.world, "worker_script", cx.accountId, settings);
  return { result: scriptView(stored) };
}

/** GET/PUT/DELETE /accounts/{account_id}/workers/scripts/{script_name} */
export function workerScriptItem(cx: CfContext, name: string): CfReply {
  if (cx.method === "PUT") return uploadScript(cx, name);
  const script = requireScript(cx, name);
  if (cx.method === "DELETE") {
    deleteResource(cx.world, script.id);
    return { result: null };
  }
  return { result: script.settings.source };
}

/** GET /accounts/{account_id}/workers/scripts */
export function workerScriptsCollection(cx: CfContext): CfReply {
  return wholeList(listResources(cx.world, "worker_script", cx.accountId).map(scriptView));
}

/** GET/PATCH /accounts/{account_id}/workers/scripts/{script_name}/settings */
export function workerSettingsItem(cx: CfContext, name: string): CfReply {
  const script = requireScript(cx, name);
  if (cx.method === "GET") return { result: settingsView(script) };
  const settings = jsonPart(partsOf(cx), "settings");
  const bindings = readBindings(settings.bindings, script.settings.bindings);
  const date = settings.compatibility_date;
  if (date !== undefined && (typeof date !== "string" || !DATE.test(date)))
    throw fail(400, 10021, "compatibility_date must be YYYY-MM-DD");
  const next: WorkerScriptSettings = {
    ...script.settings,
    bindings,
    compatibilityDate: typeof date === "string" ? date : script.settings.compatibilityDate,
    etag: etagOf(script.settings.source, bindings),
  };
  return { result: settingsView(updateResource(cx.world, script, next)) };
}

/** The host a route pattern matches ("api.example.com/*" → api.example.com), without a leading "*.". */
function patternHost(pattern: string): string {
  return pattern
    .split("/")[0]
    .replace(/^\*\.?/, "")
    .toLowerCase();
}

function checkRoute(cx: CfContext, input: Record<string, unknown>, selfId: string | null) {
  const pattern = typeof input.pattern === "string" ? input.pattern.trim() : "";
  const zone = getZone(cx.world, cx.zoneId);
  const host = patternHost(pattern);
  if (!pattern.includes("/") || !zone || (host !== zone.name && !host.endsWith(`.${zone.name}`)))
    throw fail(400, 10022, `Route pattern must be a path on a hostname of ${zone?.name ?? "the zone"}`);
  const script = input.script === undefined || input.script === null ? null : String(input.script);
  const accountId = zone.account_id;
  if (script !== null && !listResources(cx.world, "worker_script", accountId).some((s) => s.settings.name === script))
    throw fail(400, 10007, "This Worker does not exist on your account.");
  const clash = listResources(cx.world, "worker_route", cx.zoneId).find(
    (r) => r.settings.pattern === pattern && r.id !== selfId,
  );
  if (clash) throw fail(409, 10020, "A route with the same pattern already exists.");
  return { pattern, script };
}

function routeView(r: StoredResource<"worker_route">) {
  return { id: r.id, pattern: r.settings.pattern, script: r.settings.script };
}

/** GET/POST /zones/{zone_id}/workers/routes */
export function workerRoutesCollection(cx: CfContext): CfReply {
  if (cx.method === "GET") return wholeList(listResources(cx.world, "worker_route", cx.zoneId).map(routeView));
  const settings = checkRoute(cx, cx.body(), null);
  return { result: routeView(insertResource(cx.world, "worker_route", cx.zoneId, settings)) };
}

/** GET/PUT/DELETE /zones/{zone_id}/workers/routes/{route_id} */
export function workerRouteItem(cx: CfContext, id: string): CfReply {
  const route = getResource(cx.world, "worker_route", cx.zoneId, id);
  if (!route) throw fail(404, 10020, "Route not found");
  if (cx.method === "GET") return { result: routeView(route) };
  if (cx.method === "DELETE") {
    deleteResource(cx.world, id);
    return { result: { id } };
  }
  return { result: routeView(updateResource(cx.world, route, checkRoute(cx, cx.body(), route.id))) };
}

import { z } from "zod";
import { ChatRequest } from "../control/chat";
import { InterpretRequest } from "../control/chat-interpret";
import { CreateEnvironment, CreateProject, PutSecret } from "../control/environments";
import { PlanRequest } from "../control/plans";
import { CreateUser } from "../control/users";
import type { Role } from "../security/roles";

/** One row per API route: the contract the OpenAPI document (and the role matrix) is built from. */
export interface RouteContract {
  method: "get" | "post" | "put" | "delete";
  path: string;
  summary: string;
  minRole: Role | "none";
  body?: z.ZodType;
}

const Reason = z.object({ reason: z.string().max(1000).optional() });

export const API_ROUTES: RouteContract[] = [
  {
    method: "post",
    path: "/api/users",
    summary: "Create a user and their first token",
    minRole: "admin",
    body: CreateUser,
  },
  { method: "get", path: "/api/users", summary: "List users", minRole: "viewer" },
  { method: "delete", path: "/api/tokens/{id}", summary: "Revoke a token", minRole: "viewer" },
  { method: "post", path: "/api/projects", summary: "Create a project", minRole: "admin", body: CreateProject },
  { method: "get", path: "/api/projects", summary: "List projects", minRole: "viewer" },
  { method: "get", path: "/api/projects/{id}", summary: "A project", minRole: "viewer" },
  {
    method: "post",
    path: "/api/projects/{id}/envs",
    summary: "Create an environment's desired state",
    minRole: "admin",
    body: CreateEnvironment,
  },
  { method: "get", path: "/api/projects/{id}/envs", summary: "List environments", minRole: "viewer" },
  { method: "get", path: "/api/projects/{id}/connections", summary: "Provider connections", minRole: "viewer" },
  {
    method: "post",
    path: "/api/projects/{id}/connections/verify",
    summary: "Verify each connection with a real read call",
    minRole: "admin",
  },
  {
    method: "get",
    path: "/api/envs/{id}",
    summary: "An environment: spec, bindings, current release, active run",
    minRole: "viewer",
  },
  { method: "get", path: "/api/envs/{id}/revisions", summary: "Spec revisions", minRole: "viewer" },
  {
    method: "post",
    path: "/api/envs/{id}/revisions/{rev}/revert",
    summary: "Make a new revision equal to an earlier one",
    minRole: "admin",
    body: z.object({ reason: z.string().max(500).optional() }),
  },
  {
    method: "get",
    path: "/api/envs/{id}/bootstrap",
    summary: "Local bootstrap archive (compose.yaml, .env.local, tunnel config, seed scripts)",
    minRole: "viewer",
  },
  {
    method: "put",
    path: "/api/envs/{id}/secrets/{name}",
    summary: "Set a secret (stored encrypted, never returned)",
    minRole: "admin",
    body: PutSecret,
  },
  {
    method: "post",
    path: "/api/envs/{id}/secrets/{name}/rotate",
    summary: "Stage a new value and plan its rotation (rotate-secret run)",
    minRole: "admin",
    body: PutSecret,
  },
  { method: "get", path: "/api/envs/{id}/secrets", summary: "Secret names and references", minRole: "viewer" },
  {
    method: "post",
    path: "/api/envs/{id}/plan",
    summary: "Plan a run (read-only)",
    minRole: "deployer",
    body: PlanRequest,
  },
  { method: "get", path: "/api/envs/{id}/runs", summary: "Runs of an environment", minRole: "viewer" },
  { method: "get", path: "/api/plans/{id}", summary: "A plan", minRole: "viewer" },
  { method: "post", path: "/api/plans/{id}/apply", summary: "Apply a plan once", minRole: "deployer" },
  { method: "get", path: "/api/runs/{id}", summary: "A run with its steps and artifacts", minRole: "viewer" },
  ...(["approve", "reject", "stop", "resume", "cancel", "promote"] as const).map(
    (a): RouteContract => ({
      method: "post",
      path: `/api/runs/{id}/${a}`,
      summary: `${a[0].toUpperCase()}${a.slice(1)} a run`,
      minRole: "deployer",
      body: Reason,
    }),
  ),
  { method: "get", path: "/api/runs/{id}/artifacts/{name}", summary: "A run artifact", minRole: "viewer" },
  { method: "get", path: "/api/incidents", summary: "Incidents (?env=&status=open|resolved)", minRole: "viewer" },
  { method: "get", path: "/api/incidents/{id}", summary: "An incident with its bundle's files", minRole: "viewer" },
  {
    method: "get",
    path: "/api/incidents/{id}/bundle/{name}",
    summary: "A bundle file (incident.md, logs/…, metrics.json, diff.json)",
    minRole: "viewer",
  },
  {
    method: "post",
    path: "/api/incidents/{id}/ack",
    summary: "Acknowledge an incident (stops escalation)",
    minRole: "deployer",
  },
  {
    method: "post",
    path: "/api/envs/{id}/drift/adopt",
    summary: "Adopt the open drift into the desired state (new revision)",
    minRole: "admin",
  },
  {
    method: "post",
    path: "/api/envs/{id}/drift/revert",
    summary: "Plan a reconcile run that reverts the open drift",
    minRole: "deployer",
  },
  { method: "get", path: "/api/audit", summary: "Audit events", minRole: "viewer" },
  { method: "get", path: "/api/audit/verify", summary: "Recompute the audit hash chain", minRole: "viewer" },
  {
    method: "post",
    path: "/api/chat",
    summary: "Send a chat message (Accept: text/event-stream streams replies, then run progress)",
    minRole: "viewer",
    body: ChatRequest,
  },
  {
    method: "post",
    path: "/api/chat/interpret",
    summary: "How chat reads a message (intents, question, refusal or fallback) without acting on it",
    minRole: "admin",
    body: InterpretRequest,
  },
  {
    method: "get",
    path: "/api/envs/{id}/live",
    summary:
      "WebSocket: the environment's run and canary events (token as Authorization or subprotocol bearer.<token>)",
    minRole: "viewer",
  },
  { method: "get", path: "/api/me", summary: "The signed-in user (id, name, role)", minRole: "viewer" },
  {
    method: "get",
    path: "/api/conversations/{id}/messages",
    summary: "Your own conversation's messages, oldest first",
    minRole: "viewer",
  },
];

const ErrorBody = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: { code: { type: "string" }, message: { type: "string" }, details: {} },
      required: ["code", "message"],
    },
  },
  required: ["error"],
};

let cached: unknown;

/** The OpenAPI 3.1 document generated from the route table's zod schemas. */
export function openApiDocument(): unknown {
  cached ??= {
    openapi: "3.1.0",
    info: { title: "Infra Chat control plane", version: "1" },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { Error: ErrorBody },
    },
    security: [{ bearer: [] }],
    paths: API_ROUTES.reduce<Record<string, Record<string, unknown>>>((paths, r) => {
      paths[r.path] ??= {};
      paths[r.path][r.method] = {
        summary: r.summary,
        "x-min-role": r.minRole,
        parameters: [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
          name: m[1],
          in: "path",
          required: true,
          schema: { type: "string" },
        })),
        ...(r.body
          ? {
              requestBody: {
                required: true,
                content: { "application/json": { schema: z.toJSONSchema(r.body, { io: "input" }) } },
              },
            }
          : {}),
        responses: {
          default: {
            description: "Error",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
          },
        },
      };
      return paths;
    }, {}),
  };
  return cached;
}

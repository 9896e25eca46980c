/** Who may do what (API.md Conventions): viewer reads, deployer operates non-production, admin does everything. */
import { z } from "zod";
import { AppError } from "../domain/errors";

export const Role = z.enum(["viewer", "deployer", "admin"]);
export type Role = z.infer<typeof Role>;

export const Action = z.enum([
  /** list and read anything (never secret values) */
  "read",
  /** create plans; plans are read-only */
  "plan",
  /** apply a plan, starting a run */
  "apply",
  "stop",
  "resume",
  "cancel",
  /** approve or reject a run outside production */
  "approve:non-production",
  /** approve or reject a production run (policy also forbids self-approval) */
  "approve:production",
  "manage-users",
  "manage-secrets",
  /** change an environment's desired state (create, override, revert a revision) */
  "manage-environments",
  /** see how chat reads a message without acting on it (POST /api/chat/interpret, the language eval) */
  "inspect-chat",
]);
export type Action = z.infer<typeof Action>;

const RANK: Record<Role, number> = { viewer: 0, deployer: 1, admin: 2 };

/** The least role allowed each action; roles are strictly nested, so one threshold per action is the whole matrix. */
const MINIMUM_ROLE: Record<Action, Role> = {
  read: "viewer",
  plan: "deployer",
  apply: "deployer",
  stop: "deployer",
  resume: "deployer",
  cancel: "deployer",
  "approve:non-production": "deployer",
  "approve:production": "admin",
  "manage-users": "admin",
  "manage-secrets": "admin",
  "manage-environments": "admin",
  "inspect-chat": "admin",
};

/** Whether a role may perform an action; unknown roles or actions (e.g. a stale DB value) may do nothing. */
export function can(role: Role, action: Action): boolean {
  if (!Object.hasOwn(RANK, role) || !Object.hasOwn(MINIMUM_ROLE, action)) return false;
  return RANK[role] >= RANK[MINIMUM_ROLE[action]];
}

/** Throws AppError("forbidden") unless the role may perform the action. */
export function requireRole(role: Role, action: Action): void {
  if (!can(role, action)) {
    throw new AppError("forbidden", `role "${role}" may not ${action}`, {
      role,
      action,
      requiredRole: MINIMUM_ROLE[action] ?? null,
    });
  }
}

/** The approval action for an environment, so callers can't pick the weaker one by mistake. */
export function approvalAction(production: boolean): Action {
  return production ? "approve:production" : "approve:non-production";
}

/**
 * `GET /ops/migrations` of the simulated api: the environment's applied migrations and those the api
 * repository's head ships but the database has not run, classified as the real app classifies them
 * (test/fixtures/invoice-perfect/classify.js reads each file's queryInterface calls). The simulated repos
 * hold migration names only, so the simulated app knows its migrations' bodies by the names the seed and
 * `POST /sandbox/commits` use: add-/create- → expand, make-…-not-null / drop- / remove- / rename- → contract,
 * and anything else contract (what cannot be read is never called safe).
 */
import { getService } from "../world/entities";
import type { EnvironmentRow, ServiceRow } from "../world/entities";
import { appliedMigrations } from "../world/migrations";
import { branchHead, migrationsAt } from "../world/repos";
import type { World } from "../world/store";
import { getInstance } from "../world/entities";

export interface ClassifiedMigration {
  name: string;
  class: "expand" | "contract";
  reasons: string[];
}

const RULES: [RegExp, ClassifiedMigration["class"], (m: RegExpExecArray) => string][] = [
  [/-make-(\w+)-not-null$/, "contract", (m) => `changeColumn ${m[1]}: makes the column NOT NULL`],
  [/-(?:drop|remove)-(\w+)/, "contract", (m) => `removeColumn/dropTable ${m[1]}: old code still reads it`],
  [/-rename-(\w+)/, "contract", (m) => `renameColumn ${m[1]}: old code uses the old name`],
  [/-add-(\w+)-to-(\w+)$/, "expand", (m) => `addColumn ${m[2]}.${m[1]}: new nullable column`],
  [/-add-(\w+)-index/, "expand", (m) => `addIndex ${m[1]}: new index`],
  [/-create-(\w+)$/, "expand", (m) => `createTable ${m[1]}: new table`],
];

/** The simulated app's verdict for one migration name. */
export function classifyByName(name: string): ClassifiedMigration {
  for (const [pattern, kind, reason] of RULES) {
    const m = pattern.exec(name);
    if (m) return { name, class: kind, reasons: [reason(m)] };
  }
  return { name, class: "contract", reasons: ["no recognised queryInterface call"] };
}

/** `{applied, pending}` for the api of one environment, pending as of its repository's branch head. */
export function listMigrations(
  world: World,
  env: EnvironmentRow,
  service: ServiceRow,
): { applied: string[]; pending: ClassifiedMigration[] } {
  const applied = appliedMigrations(world, env.id).map((m) => m.name);
  const repo = getInstance(world, service.id, env.id)?.settings.source?.repo ?? null;
  const head = repo ? branchHead(world, repo, getService(world, service.id)?.branch ?? "main") : null;
  const done = new Set(applied);
  const pending = head
    ? migrationsAt(world, head)
        .filter((n) => !done.has(n))
        .map(classifyByName)
    : [];
  return { applied, pending };
}

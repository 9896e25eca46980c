/** What the chat understands, shown for "help" and whenever a message isn't understood. */

const EXAMPLES: ReadonlyArray<readonly [string, string]> = [
  ["Deploy", "deploy staging · deploy v3 to staging · deploy production with canary 10/50/100"],
  ["Migrate", "run migrations on staging · deploy production and run migrations first"],
  ["Roll back", "rollback production to the previous release · rollback production to v3"],
  ["Status", "status of production · how is staging?"],
  ["Audit", "show the audit for production since yesterday"],
  ["Confirm a plan", "apply (or yes, ship it) · cancel (or nevermind)"],
  ["Approvals", "approve · approve 482193 · reject 482193"],
];

/** A short, friendly list of what the chat can do, with an example of each. */
export function helpText(): string {
  const lines = EXAMPLES.map(([what, examples]) => `• ${what}: ${examples}`);
  return [
    "Here's what I can do — tell me in plain words, for example:",
    ...lines,
    "Name environments as staging, production (prod), local (dev) or <project>:<env>. Each change starts as a plan; production runs need an admin's approval.",
  ].join("\n");
}

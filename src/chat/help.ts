/** What the chat understands, shown for "help" and whenever a message isn't understood. */

const EXAMPLES: ReadonlyArray<readonly [string, string]> = [
  [
    "Deploy",
    "deploy staging · deploy just the api to staging · deploy v3 to staging · deploy production with canary 10/50/100",
  ],
  ["Promote", "promote staging to production"],
  ["Migrate", "run migrations on staging · deploy production and run migrations first"],
  ["Roll back", "rollback production to the previous release · rollback production to v3"],
  ["Status", "status of production · how is staging?"],
  ["Runs", "list recent runs · what's waiting on approval? · any deploys running? · why did the last deploy fail?"],
  ["Incidents", "what's broken? · ack 482193 · restart api on production"],
  ["Audit", "show the audit for production since yesterday · is the audit chain intact?"],
  ["Secrets", "set STRIPE_SECRET_KEY=… on staging · rotate SENDGRID_API_KEY on production · list secrets on staging"],
  ["Alerts", "text me about production · stop texting me about staging"],
  ["Desired state", "add redis to staging · create qa from staging · bootstrap local"],
  ["Confirm a plan", "apply (or yes, ship it) · cancel (or nevermind)"],
  ["Approvals", "approve · approve 482193 · reject 482193"],
];

/** A short, friendly list of what the chat can do, with an example of each. */
export function helpText(): string {
  const lines = EXAMPLES.map(([what, examples]) => `• ${what}: ${examples}`);
  return [
    "Here's what I can do — tell me in plain words, for example:",
    ...lines,
    "Name environments as staging, production (prod), local (dev) or <project>:<env>. Each change starts as a plan; production runs need an admin's approval. When something is missing I ask, and your answer continues the request.",
  ].join("\n");
}

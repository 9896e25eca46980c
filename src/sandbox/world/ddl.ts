/** SQLite schema of the sandbox world; run by SandboxDO's constructor under blockConcurrencyWhile. */

const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS projects (
     id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS environments (
     id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL, source_environment_id TEXT,
     is_ephemeral INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
  // branch lives on the service: Railway's deploy trigger is per service, the repo per instance source.
  `CREATE TABLE IF NOT EXISTS services (
     id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL, branch TEXT, icon TEXT,
     template_id TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
  // settings is JSON (InstanceSettings): ServiceInstanceUpdateInput has ~25 fields, most never queried by column.
  `CREATE TABLE IF NOT EXISTS instances (
     id TEXT PRIMARY KEY, service_id TEXT NOT NULL, environment_id TEXT NOT NULL, settings TEXT NOT NULL,
     created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, UNIQUE (service_id, environment_id))`,
  // service_id '' holds the environment's shared variables.
  `CREATE TABLE IF NOT EXISTS variables (
     environment_id TEXT NOT NULL, service_id TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
     PRIMARY KEY (environment_id, service_id, name))`,
  `CREATE TABLE IF NOT EXISTS commits (
     sha TEXT PRIMARY KEY, repo TEXT NOT NULL, seq INTEGER NOT NULL, message TEXT NOT NULL,
     author_name TEXT NOT NULL, author_email TEXT NOT NULL, committed_at INTEGER NOT NULL,
     migrations TEXT NOT NULL DEFAULT '[]')`,
  `CREATE TABLE IF NOT EXISTS refs (
     repo TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, sha TEXT NOT NULL, PRIMARY KEY (repo, kind, name))`,
  // phase is the lifecycle machine's state (world/lifecycle.ts); fail is the injected or discovered failure.
  `CREATE TABLE IF NOT EXISTS deployments (
     id TEXT PRIMARY KEY, seq INTEGER NOT NULL, project_id TEXT NOT NULL, environment_id TEXT NOT NULL,
     service_id TEXT NOT NULL, phase TEXT NOT NULL, fail TEXT, pre_deploy TEXT, commit_sha TEXT, image TEXT,
     meta TEXT NOT NULL, variables TEXT NOT NULL, instance_ids TEXT NOT NULL, succeeded INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL, status_updated_at INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS deployments_by_instance ON deployments (service_id, environment_id, seq)`,
  `CREATE TABLE IF NOT EXISTS deployment_logs (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, deployment_id TEXT NOT NULL, stream TEXT NOT NULL, at INTEGER NOT NULL,
     severity TEXT NOT NULL, message TEXT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS deployment_logs_by_deployment ON deployment_logs (deployment_id, stream, seq)`,
  `CREATE TABLE IF NOT EXISTS domains (
     id TEXT PRIMARY KEY, project_id TEXT NOT NULL, environment_id TEXT NOT NULL, service_id TEXT NOT NULL,
     domain TEXT NOT NULL UNIQUE, target_port INTEGER, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS db_migrations (
     environment_id TEXT NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL, deployment_id TEXT,
     PRIMARY KEY (environment_id, name))`,
  `CREATE TABLE IF NOT EXISTS workflows (id TEXT PRIMARY KEY, service_id TEXT NOT NULL, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS faults (
     id TEXT PRIMARY KEY, seq INTEGER NOT NULL, spec TEXT NOT NULL, remaining INTEGER, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS requests (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL, method TEXT NOT NULL, host TEXT NOT NULL, path TEXT NOT NULL,
     headers TEXT NOT NULL, body TEXT, status INTEGER NOT NULL, at INTEGER NOT NULL)`,
  // Cloudflare: settings of monitors/pools (owner = account) and load balancers/DNS records (owner = zone) as
  // JSON, because the API reads and writes them whole and nothing queries inside them.
  `CREATE TABLE IF NOT EXISTS cf_accounts (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS cf_zones (
     id TEXT PRIMARY KEY, account_id TEXT NOT NULL, name TEXT NOT NULL UNIQUE, status TEXT NOT NULL, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS cf_resources (
     id TEXT PRIMARY KEY, kind TEXT NOT NULL, owner_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
     created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS cf_resources_by_owner ON cf_resources (kind, owner_id, seq)`,
  // Edge routers (traffic/edge-reports.ts): every report sent and what became of it, and each config a
  // router served with the simulated second it served from.
  `CREATE TABLE IF NOT EXISTS edge_reports (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, script TEXT NOT NULL, route TEXT NOT NULL, report_seq INTEGER NOT NULL,
     second INTEGER NOT NULL, salt TEXT NOT NULL, revision INTEGER NOT NULL, canary_requests INTEGER NOT NULL,
     canary_errors INTEGER NOT NULL, stable_requests INTEGER NOT NULL, stable_errors INTEGER NOT NULL,
     status INTEGER, note TEXT, sent_at INTEGER NOT NULL, answered_at INTEGER)`,
  `CREATE TABLE IF NOT EXISTS edge_configs (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, script TEXT NOT NULL, revision INTEGER NOT NULL, weight REAL NOT NULL,
     salt TEXT NOT NULL, deadline INTEGER, from_second INTEGER NOT NULL, at INTEGER NOT NULL)`,
  // The Twilio outbox: every message the sandbox accepted, in send order.
  `CREATE TABLE IF NOT EXISTS twilio_messages (
     sid TEXT PRIMARY KEY, seq INTEGER NOT NULL, account_sid TEXT NOT NULL, to_number TEXT NOT NULL, from_number TEXT,
     messaging_service_sid TEXT, body TEXT NOT NULL, num_media INTEGER NOT NULL, created_at INTEGER NOT NULL)`,
  // The simulated Invoice Perfect database (src/sandbox/ops): users per environment, created on first use of
  // the ops contract, and the job ledger. Events are unique per (environment, run, user): re-sending a
  // batch of a run records nothing twice, as in the real app.
  `CREATE TABLE IF NOT EXISTS app_users (
     environment_id TEXT NOT NULL, id INTEGER NOT NULL, address_line1 TEXT, city TEXT, region TEXT, postal_code TEXT,
     country TEXT, timezone TEXT, PRIMARY KEY (environment_id, id))`,
  `CREATE TABLE IF NOT EXISTS ops_job_runs (
     environment_id TEXT NOT NULL, id TEXT NOT NULL, job TEXT NOT NULL, status TEXT NOT NULL, cursor INTEGER,
     created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER, PRIMARY KEY (environment_id, id))`,
  `CREATE TABLE IF NOT EXISTS ops_job_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, environment_id TEXT NOT NULL, run_id TEXT NOT NULL, job TEXT NOT NULL,
     user_id INTEGER NOT NULL, event TEXT NOT NULL, reason TEXT, detail TEXT, created_at INTEGER NOT NULL,
     UNIQUE (environment_id, run_id, user_id))`,
  // Stripe: webhook endpoints per mode (the signing secret is the provider's own state, returned only on
  // create) and the answers given under each Idempotency-Key, replayed for a repeated key.
  `CREATE TABLE IF NOT EXISTS stripe_webhook_endpoints (
     id TEXT PRIMARY KEY, seq INTEGER NOT NULL, livemode INTEGER NOT NULL, body TEXT NOT NULL, secret TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS stripe_idempotency (
     livemode INTEGER NOT NULL, key TEXT NOT NULL, params TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,
     created_at INTEGER NOT NULL, PRIMARY KEY (livemode, key))`,
  // SendGrid: authenticated domains and single senders, as JSON (the API reads and writes them whole).
  `CREATE TABLE IF NOT EXISTS sendgrid_domains (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS sendgrid_senders (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`,
  // Tokens are recorded by fingerprint only: the sandbox accepts any, but must never store one.
  `CREATE TABLE IF NOT EXISTS tokens (
     fingerprint TEXT PRIMARY KEY, kind TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
     uses INTEGER NOT NULL)`,
  // Railway request budgets: one fixed hourly window per token fingerprint (railway/budget.ts).
  `CREATE TABLE IF NOT EXISTS rate_windows (
     fingerprint TEXT PRIMARY KEY, kind TEXT NOT NULL, started_at INTEGER NOT NULL, advanced_ms INTEGER NOT NULL,
     used INTEGER NOT NULL, refused INTEGER NOT NULL)`,
  // Railway project tokens, by fingerprint: each is scoped to one environment of one project (railway/auth.ts).
  `CREATE TABLE IF NOT EXISTS railway_project_tokens (
     fingerprint TEXT PRIMARY KEY, id TEXT NOT NULL, name TEXT NOT NULL, project_id TEXT NOT NULL,
     environment_id TEXT NOT NULL, created_at INTEGER NOT NULL)`,
  // Twilio: how a message a delivery fault doomed ends (undelivered/failed and the error code); absent = delivered.
  `CREATE TABLE IF NOT EXISTS twilio_fates (sid TEXT PRIMARY KEY, outcome TEXT NOT NULL, error_code INTEGER)`,
  // Twilio status callbacks: planned when a message names a StatusCallback, sent once due (twilio/callbacks.ts).
  `CREATE TABLE IF NOT EXISTS twilio_status_callbacks (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT NOT NULL, url TEXT NOT NULL, status TEXT NOT NULL,
     params TEXT NOT NULL, due_at INTEGER NOT NULL, sent_at INTEGER, response_status INTEGER, note TEXT)`,
  `CREATE INDEX IF NOT EXISTS twilio_status_callbacks_due ON twilio_status_callbacks (sent_at, due_at)`,
  // Railway custom domains: the CNAME target and TXT token Railway hands out (world/custom-domains.ts).
  `CREATE TABLE IF NOT EXISTS custom_domains (
     id TEXT PRIMARY KEY, project_id TEXT NOT NULL, environment_id TEXT NOT NULL, service_id TEXT NOT NULL,
     domain TEXT NOT NULL UNIQUE, target_port INTEGER, target TEXT NOT NULL, token TEXT NOT NULL, created_at INTEGER NOT NULL)`,
];

/** Creates every table and index of the world if missing (idempotent). */
export function createSandboxSchema(sql: SqlStorage): void {
  for (const statement of STATEMENTS) sql.exec(statement);
}

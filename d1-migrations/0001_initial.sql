-- Infra Chat control plane schema. Never edit a landed migration; add a new one.
CREATE TABLE users (
  id TEXT PRIMARY KEY, name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer','deployer','admin')),
  phone TEXT, created_at TEXT NOT NULL
);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
  token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT
);
CREATE TABLE projects (
  id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL, template TEXT, created_at TEXT NOT NULL
);
CREATE TABLE environments (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id), name TEXT NOT NULL,
  revision INTEGER NOT NULL, base_env TEXT, bindings TEXT NOT NULL, current_release_id TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX environments_project_name ON environments (project_id, name);
CREATE TABLE spec_revisions (
  env_id TEXT NOT NULL REFERENCES environments(id), revision INTEGER NOT NULL, spec TEXT NOT NULL,
  author TEXT NOT NULL, reason TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (env_id, revision)
);
CREATE TABLE connections (
  project_id TEXT NOT NULL REFERENCES projects(id), provider TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('unconfigured','pending-auth','configured','verified')),
  metadata TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (project_id, provider)
);
CREATE TABLE secrets (
  env_id TEXT NOT NULL REFERENCES environments(id), name TEXT NOT NULL, key_id TEXT NOT NULL,
  iv TEXT NOT NULL, ciphertext TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (env_id, name)
);
CREATE TABLE plans (
  id TEXT PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, env_id TEXT NOT NULL REFERENCES environments(id),
  type TEXT NOT NULL, body TEXT NOT NULL, digest TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE runs (
  id TEXT PRIMARY KEY, env_id TEXT NOT NULL REFERENCES environments(id), plan_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL, status TEXT NOT NULL, requested_by TEXT, approvals TEXT, error TEXT,
  created_at TEXT NOT NULL, started_at TEXT, ended_at TEXT, updated_at TEXT NOT NULL
);
CREATE INDEX runs_env_created ON runs (env_id, created_at);
CREATE TABLE run_steps (
  run_id TEXT NOT NULL, step_id TEXT NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL, summary TEXT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL, started_at TEXT, ended_at TEXT, error TEXT, note TEXT,
  receipt_ids TEXT NOT NULL, PRIMARY KEY (run_id, step_id)
);
CREATE TABLE releases (
  id TEXT PRIMARY KEY, env_id TEXT NOT NULL REFERENCES environments(id), version TEXT NOT NULL,
  services TEXT NOT NULL, run_id TEXT, created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX releases_env_version ON releases (env_id, version);
CREATE TABLE receipts (
  id TEXT PRIMARY KEY, run_id TEXT NOT NULL, step_id TEXT NOT NULL, provider TEXT NOT NULL,
  operation TEXT NOT NULL, status INTEGER, request_hash TEXT NOT NULL, at TEXT NOT NULL
);
CREATE INDEX receipts_run ON receipts (run_id);
CREATE TABLE audit_events (
  id TEXT PRIMARY KEY, chain TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL, intent TEXT, plan_id TEXT, run_id TEXT, diff_summary TEXT, receipt_hash TEXT,
  details TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_chain_seq ON audit_events (chain, seq);
CREATE INDEX audit_chain_at ON audit_events (chain, at);
-- The audit log is append-only: the database itself refuses to change history.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TABLE conversations (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, state TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE messages (
  id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL REFERENCES conversations(id),
  role TEXT NOT NULL CHECK (role IN ('user','assistant')), text TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);

-- Schema migrations the control plane applied per environment, with their expand/contract class and the
-- release that was current when they ran: a rollback to a release older than a contract migration is refused.
CREATE TABLE applied_migrations (
  env_id TEXT NOT NULL,
  service TEXT NOT NULL,
  name TEXT NOT NULL,
  class TEXT NOT NULL CHECK (class IN ('expand', 'contract', 'unknown')),
  run_id TEXT NOT NULL,
  release_id TEXT,
  applied_at TEXT NOT NULL,
  PRIMARY KEY (env_id, service, name)
);

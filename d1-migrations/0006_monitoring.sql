-- Continuous monitoring (issue #6): one row per incident. The environment's Durable Object is the only
-- writer; the partial unique index makes "one open incident per anomaly" a database fact, not a hope.
CREATE TABLE incidents (
  id TEXT PRIMARY KEY,
  env_id TEXT NOT NULL REFERENCES environments(id),
  anomaly_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
  title TEXT NOT NULL,
  opened_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  resolved_at TEXT,
  resolution TEXT,
  checks INTEGER NOT NULL DEFAULT 1,
  run_ids TEXT NOT NULL DEFAULT '[]',
  bundle TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}',
  ack_code TEXT NOT NULL,
  acked_by TEXT,
  acked_at TEXT,
  escalation_level INTEGER NOT NULL DEFAULT 0,
  escalate_at TEXT
);
CREATE UNIQUE INDEX incidents_one_open_per_anomaly ON incidents (env_id, anomaly_key) WHERE status = 'open';
CREATE INDEX incidents_env_opened ON incidents (env_id, opened_at);
CREATE INDEX incidents_ack_code ON incidents (ack_code);

-- Texts Infra Chat sent (issue 14, item 8): Twilio reports each one's fate to /webhooks/twilio/status, and an
-- alert that was not delivered escalates to the next destination. One row per message SID; the status only
-- moves forward (callbacks can arrive twice or out of order), and `escalated_at` makes escalation happen once.
CREATE TABLE sms_outbound (
  sid TEXT PRIMARY KEY,
  env_id TEXT NOT NULL,
  run_id TEXT,
  incident_id TEXT,
  to_phone TEXT NOT NULL,
  purpose TEXT NOT NULL,
  level INTEGER NOT NULL DEFAULT 0,
  -- Kept only for alerts, which may be forwarded; never for texts that carry an approval code.
  body TEXT,
  status TEXT NOT NULL,
  error_code TEXT,
  escalated_at TEXT,
  escalated_to TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX sms_outbound_run ON sms_outbound (run_id);
CREATE INDEX sms_outbound_incident ON sms_outbound (incident_id);

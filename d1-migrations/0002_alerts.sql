-- Who gets texted about an environment besides its policy destinations ("text me if the canary looks weird").
CREATE TABLE alert_subscriptions (
  env_id TEXT NOT NULL REFERENCES environments(id), phone TEXT NOT NULL, user_id TEXT NOT NULL,
  created_at TEXT NOT NULL, PRIMARY KEY (env_id, phone)
);
-- Inbound SMS already handled, by Twilio MessageSid: a redelivered webhook changes nothing.
CREATE TABLE sms_inbound (
  message_sid TEXT PRIMARY KEY, from_phone TEXT NOT NULL, body_hash TEXT NOT NULL, outcome TEXT NOT NULL, received_at TEXT NOT NULL
);

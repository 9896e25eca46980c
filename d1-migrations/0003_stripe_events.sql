-- Stripe webhook deliveries already accepted, by event id: a redelivery or replay writes nothing twice.
CREATE TABLE stripe_events (
  event_id TEXT PRIMARY KEY, env_id TEXT NOT NULL REFERENCES environments(id), type TEXT NOT NULL,
  livemode INTEGER NOT NULL, received_at TEXT NOT NULL
);

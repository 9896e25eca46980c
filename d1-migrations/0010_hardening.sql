-- Issue 16 (hardening). The audit chain is keyed from here on: each new event records the id of the
-- AUDIT_KEY whose HMAC is its hash. Events written before keep a NULL key id and their plain SHA-256 and
-- keep verifying as they are: the table is append-only, and rewriting history to migrate it would be the
-- very edit the log exists to expose. The first keyed event's link covers everything before it.
ALTER TABLE audit_events ADD COLUMN key_id TEXT;
-- Wrong approval, ACK and confirmation codes per sender ("phone:+1…" or "user:usr_…"): five in fifteen
-- minutes lock that sender out of code entry for fifteen minutes (API.md "Webhooks").
CREATE TABLE code_failures (id INTEGER PRIMARY KEY AUTOINCREMENT, sender TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX code_failures_sender ON code_failures (sender, at);
CREATE TABLE code_lockouts (sender TEXT PRIMARY KEY, locked_at TEXT NOT NULL, until TEXT NOT NULL);
-- "ROLLBACK production" by SMS plans the rollback and waits for "YES <code>" from the same phone; the code
-- is derived from APPROVAL_KEY (key_id) and never stored.
CREATE TABLE sms_confirmations (
  plan_id TEXT PRIMARY KEY, phone TEXT NOT NULL, user_id TEXT NOT NULL, key_id TEXT NOT NULL,
  expires_at TEXT NOT NULL, done_at TEXT
);
CREATE INDEX sms_confirmations_phone ON sms_confirmations (phone, expires_at);
-- A phone belongs to one user: an inbound SMS acts as exactly one person. Where duplicates exist, the
-- oldest row keeps the phone — the row an SMS acted as until now — and the others lose it.
UPDATE users SET phone = NULL
WHERE phone IS NOT NULL AND rowid NOT IN (SELECT MIN(rowid) FROM users WHERE phone IS NOT NULL GROUP BY phone);
CREATE UNIQUE INDEX IF NOT EXISTS users_phone ON users (phone) WHERE phone IS NOT NULL;

-- Issue 16 (hardening). The audit chain is keyed from here on: each new event records the id of the
-- AUDIT_KEY whose HMAC is its hash. Events written before keep a NULL key id and their plain SHA-256 and
-- keep verifying as they are: the table is append-only, and rewriting history to migrate it would be the
-- very edit the log exists to expose. The first keyed event's link covers everything before it.
ALTER TABLE audit_events ADD COLUMN key_id TEXT;

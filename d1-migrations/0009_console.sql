-- The operator's console (issue 18) and token management (issue 16 item 6).
-- Tokens get a label and the time they were last used (GET /api/tokens shows both).
ALTER TABLE api_tokens ADD COLUMN label TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (user_id);
-- A reply's structured parts (plan, run, question, …) as JSON, so a reload renders the same cards.
ALTER TABLE messages ADD COLUMN parts TEXT;
-- A conversation's title (its first message, shortened) for the list of one's conversations.
ALTER TABLE conversations ADD COLUMN title TEXT;
CREATE INDEX IF NOT EXISTS conversations_user ON conversations (user_id, updated_at);
-- Run history across environments, newest first (GET /api/runs).
CREATE INDEX IF NOT EXISTS runs_created ON runs (created_at, id);
-- A removed user keeps their row (runs, audit events and history still show their name) but no phone,
-- no tokens and no role that counts.
ALTER TABLE users ADD COLUMN removed_at TEXT;

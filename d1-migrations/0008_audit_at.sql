-- GET /api/audit lists newest first across every chain, often with since=: an index on time keeps that
-- a range scan instead of a sort of the whole log (measured by npm run bench at 100k events).
CREATE INDEX IF NOT EXISTS audit_at ON audit_events (at, seq);

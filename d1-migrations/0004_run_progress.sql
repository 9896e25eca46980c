-- Live progress of long runs (backfills): processed, failed, remaining, rate, ETA, failure samples.
ALTER TABLE runs ADD COLUMN progress TEXT;

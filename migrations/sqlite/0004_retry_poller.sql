-- Retries are fired by the retry poller (see migrations/postgres/0004).

ALTER TABLE inference_requests ADD COLUMN retry_claimed_at TEXT;

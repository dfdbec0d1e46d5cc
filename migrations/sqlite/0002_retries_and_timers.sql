-- Retries on durable timers (see migrations/postgres/0002).

ALTER TABLE inference_requests ADD COLUMN retry_token TEXT;
ALTER TABLE inference_requests ADD COLUMN attempt_timeout_at TEXT;
ALTER TABLE inference_requests ADD COLUMN last_backoff_ms INTEGER;

CREATE INDEX inference_requests_retry_due ON inference_requests (next_attempt_at) WHERE state = 'RetryScheduled';
CREATE INDEX inference_requests_attempt_timeout ON inference_requests (attempt_timeout_at) WHERE state IN ('Pending', 'Processing');
CREATE INDEX inference_requests_deadline ON inference_requests (deadline) WHERE state IN ('Pending', 'Processing', 'RetryScheduled', 'AwaitingReview', 'Paused');
CREATE INDEX inference_requests_unstarted ON inference_requests (created_at) WHERE state IS NULL;

ALTER TABLE inference_attempts ADD COLUMN cause TEXT;
ALTER TABLE inference_attempts ADD COLUMN scheduled_for TEXT;
ALTER TABLE inference_attempts ADD COLUMN fired_at TEXT;
ALTER TABLE inference_attempts ADD COLUMN retry_after_ms INTEGER;
ALTER TABLE inference_attempts ADD COLUMN stale_result TEXT;

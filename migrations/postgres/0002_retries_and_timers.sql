-- Retries on durable timers: the saga row holds every timer (due time + token); Quartz fires backoffs, the sweep
-- finds attempt timeouts and deadlines through the partial indexes below.

ALTER TABLE inference_requests
    ADD COLUMN retry_token        uuid,
    ADD COLUMN attempt_timeout_at timestamptz,
    ADD COLUMN last_backoff_ms    bigint;

CREATE INDEX inference_requests_retry_due ON inference_requests (next_attempt_at) WHERE state = 'RetryScheduled';
CREATE INDEX inference_requests_attempt_timeout ON inference_requests (attempt_timeout_at) WHERE state IN ('Pending', 'Processing');
CREATE INDEX inference_requests_deadline ON inference_requests (deadline) WHERE state IN ('Pending', 'Processing', 'RetryScheduled', 'AwaitingReview', 'Paused');
CREATE INDEX inference_requests_unstarted ON inference_requests (created_at) WHERE state IS NULL;

ALTER TABLE inference_attempts
    ADD COLUMN cause          varchar(64),
    ADD COLUMN scheduled_for  timestamptz,
    ADD COLUMN fired_at       timestamptz,
    ADD COLUMN retry_after_ms bigint,
    ADD COLUMN stale_result   text;

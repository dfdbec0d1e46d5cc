-- Retries are fired by the retry poller of every orchestrator (FOR UPDATE SKIP LOCKED claims), not by Quartz
-- triggers: measured, Quartz's clustered store fired 1,000 retries due within 2 s with a p50 lateness of ~3 s.
-- The saga row is the timer: next_attempt_at + retry_token, and the claim below.

ALTER TABLE inference_requests ADD COLUMN retry_claimed_at timestamptz;

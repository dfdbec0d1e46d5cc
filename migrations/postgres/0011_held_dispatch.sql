-- Held dispatch: a request whose model has no endpoint that may be called (every worker breaker open, or every
-- endpoint cooling down for the fleet after a breaker opened or a Retry-After) waits without spending an attempt.
--   held_until   when the same attempt is dispatched again (NULL when not held); the retry poller fires it
--   held_reason  which endpoints, until when, and what was seen
ALTER TABLE inference_requests ADD COLUMN held_until timestamptz;
ALTER TABLE inference_requests ADD COLUMN held_reason text;
ALTER TABLE inference_requests_archive ADD COLUMN held_until timestamptz;
ALTER TABLE inference_requests_archive ADD COLUMN held_reason text;

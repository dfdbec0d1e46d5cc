-- The W3C trace context of the submission, so that a retry fired by the poller continues the request's trace.
ALTER TABLE inference_requests ADD COLUMN trace_parent varchar(64);
ALTER TABLE inference_requests_archive ADD COLUMN trace_parent varchar(64);

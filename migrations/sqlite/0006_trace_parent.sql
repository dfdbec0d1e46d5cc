-- See migrations/postgres/0006.
ALTER TABLE inference_requests ADD COLUMN trace_parent TEXT;
ALTER TABLE inference_requests_archive ADD COLUMN trace_parent TEXT;

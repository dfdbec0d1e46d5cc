-- Retention archives (see migrations/postgres/0005).

CREATE TABLE inference_requests_archive AS SELECT * FROM inference_requests WHERE 0;
ALTER TABLE inference_requests_archive ADD COLUMN archived_at TEXT;
CREATE UNIQUE INDEX inference_requests_archive_id ON inference_requests_archive (request_id, generation);

CREATE TABLE inference_attempts_archive AS SELECT a.*, r.generation FROM inference_attempts a
    JOIN inference_requests r USING (correlation_id) WHERE 0;
CREATE INDEX inference_attempts_archive_id ON inference_attempts_archive (correlation_id, generation, attempt);

CREATE INDEX inference_requests_completed ON inference_requests (completed_at) WHERE state IN ('Succeeded', 'Failed', 'Cancelled');

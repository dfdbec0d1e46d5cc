-- Retention: terminal requests older than Orchestrator:Retention:KeepTerminalFor (24 h) move out of the hot tables
-- into these archives, with their attempts. Within the window a request id is deduplicated by its saga row; after
-- it, the id may run again as the next generation (its outcome then carries a new MessageId).
-- The archives mirror the hot tables column for column: a migration that adds a column there adds it here too.

CREATE TABLE inference_requests_archive AS SELECT * FROM inference_requests WITH NO DATA;
ALTER TABLE inference_requests_archive ADD COLUMN archived_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX inference_requests_archive_id ON inference_requests_archive (request_id, generation);

CREATE TABLE inference_attempts_archive AS SELECT a.*, r.generation FROM inference_attempts a
    JOIN inference_requests r USING (correlation_id) WITH NO DATA;
CREATE INDEX inference_attempts_archive_id ON inference_attempts_archive (correlation_id, generation, attempt);

CREATE INDEX inference_requests_completed ON inference_requests (completed_at) WHERE state IN ('Succeeded', 'Failed', 'Cancelled');

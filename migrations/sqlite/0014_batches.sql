-- See migrations/postgres/0014.
CREATE TABLE batches (
    id                 TEXT    PRIMARY KEY,
    created_at         TEXT    NOT NULL,
    total              INTEGER NOT NULL,
    priority           INTEGER,
    completion_window  TEXT,
    cancelled_at       TEXT,
    reopened_at        TEXT,
    completed_at       TEXT,
    completion_run     INTEGER NOT NULL DEFAULT 0,
    published_at       TEXT
);
CREATE INDEX batches_created ON batches (created_at, id);

ALTER TABLE inference_requests ADD COLUMN batch_id TEXT;
ALTER TABLE inference_requests ADD COLUMN custom_id TEXT;
ALTER TABLE inference_requests ADD COLUMN batch_line INTEGER;
CREATE INDEX inference_requests_batch ON inference_requests (batch_id, batch_line) WHERE batch_id IS NOT NULL;

ALTER TABLE inference_requests_archive ADD COLUMN batch_id TEXT;
ALTER TABLE inference_requests_archive ADD COLUMN custom_id TEXT;
ALTER TABLE inference_requests_archive ADD COLUMN batch_line INTEGER;

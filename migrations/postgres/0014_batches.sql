-- Batches: an OpenAI Batch API file submitted whole. Each line is one request of its own (batch_id, custom_id and
-- the line's number on the request row, so results stream in input order); the batch row holds what belongs to the
-- file as a whole. completed_at is when its last request finished, written by the completion sweep (conditionally,
-- on completion_run) so that BatchCompleted is published once per completion; published_at marks the publish done.
CREATE TABLE batches (
    id                 varchar(128) PRIMARY KEY,
    created_at         timestamptz  NOT NULL,
    total              integer      NOT NULL,
    priority           integer,
    completion_window  varchar(32),
    cancelled_at       timestamptz,
    reopened_at        timestamptz,
    completed_at       timestamptz,
    completion_run     integer      NOT NULL DEFAULT 0,
    published_at       timestamptz
);
CREATE INDEX batches_created ON batches (created_at, id);
CREATE INDEX batches_open ON batches (created_at) WHERE completed_at IS NULL OR published_at IS NULL OR reopened_at IS NOT NULL;

ALTER TABLE inference_requests ADD COLUMN batch_id varchar(128);
ALTER TABLE inference_requests ADD COLUMN custom_id text;
ALTER TABLE inference_requests ADD COLUMN batch_line integer;
CREATE INDEX inference_requests_batch ON inference_requests (batch_id, batch_line) WHERE batch_id IS NOT NULL;

ALTER TABLE inference_requests_archive ADD COLUMN batch_id varchar(128);
ALTER TABLE inference_requests_archive ADD COLUMN custom_id text;
ALTER TABLE inference_requests_archive ADD COLUMN batch_line integer;

-- See migrations/postgres/0008.
ALTER TABLE inference_requests ADD COLUMN paused_at TEXT;
ALTER TABLE inference_requests ADD COLUMN run INTEGER NOT NULL DEFAULT 1;
ALTER TABLE inference_requests ADD COLUMN attempt_base INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inference_requests_archive ADD COLUMN paused_at TEXT;
ALTER TABLE inference_requests_archive ADD COLUMN run INTEGER NOT NULL DEFAULT 1;
ALTER TABLE inference_requests_archive ADD COLUMN attempt_base INTEGER NOT NULL DEFAULT 0;
CREATE INDEX inference_requests_paused ON inference_requests (paused_at) WHERE state = 'Paused';

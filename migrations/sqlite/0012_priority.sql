-- See migrations/postgres/0012.
ALTER TABLE inference_requests ADD COLUMN priority INTEGER NOT NULL DEFAULT 3;
ALTER TABLE inference_requests_archive ADD COLUMN priority INTEGER NOT NULL DEFAULT 3;

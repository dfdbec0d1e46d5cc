-- See migrations/postgres/0011.
ALTER TABLE inference_requests ADD COLUMN held_until TEXT;
ALTER TABLE inference_requests ADD COLUMN held_reason TEXT;
ALTER TABLE inference_requests_archive ADD COLUMN held_until TEXT;
ALTER TABLE inference_requests_archive ADD COLUMN held_reason TEXT;

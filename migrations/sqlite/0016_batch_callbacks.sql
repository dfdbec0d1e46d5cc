-- See migrations/postgres/0016.
ALTER TABLE batches ADD COLUMN callback_url TEXT;

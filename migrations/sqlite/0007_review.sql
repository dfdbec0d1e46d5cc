-- See migrations/postgres/0007.
ALTER TABLE inference_requests ADD COLUMN decision TEXT;
ALTER TABLE inference_requests_archive ADD COLUMN decision TEXT;
CREATE INDEX inference_requests_review_queue ON inference_requests (updated_at) WHERE state = 'AwaitingReview';

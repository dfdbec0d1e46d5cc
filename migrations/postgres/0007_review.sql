-- The output gate: why a request was held for review (or passed), as an operator reads it.
ALTER TABLE inference_requests ADD COLUMN decision text;
ALTER TABLE inference_requests_archive ADD COLUMN decision text;
CREATE INDEX inference_requests_review_queue ON inference_requests (updated_at) WHERE state = 'AwaitingReview';

-- Operator actions: pause/resume and retry of a failed request.
--   paused_at     when an operator paused the request (state Paused); NULL otherwise.
--   run           1, then 2, 3, ... each time an operator reopens a Failed request; its next outcome is a new
--                 message (a new MessageId), since the first outcome was already published.
--   attempt_base  attempts made before the current run: the retry budget counts from here.
ALTER TABLE inference_requests ADD COLUMN paused_at timestamptz;
ALTER TABLE inference_requests ADD COLUMN run integer NOT NULL DEFAULT 1;
ALTER TABLE inference_requests ADD COLUMN attempt_base integer NOT NULL DEFAULT 0;
ALTER TABLE inference_requests_archive ADD COLUMN paused_at timestamptz;
ALTER TABLE inference_requests_archive ADD COLUMN run integer NOT NULL DEFAULT 1;
ALTER TABLE inference_requests_archive ADD COLUMN attempt_base integer NOT NULL DEFAULT 0;
CREATE INDEX inference_requests_paused ON inference_requests (paused_at) WHERE state = 'Paused';

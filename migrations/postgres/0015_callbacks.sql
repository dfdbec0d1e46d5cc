-- Completion callbacks (docs/callbacks.md). A request may name a URL; each state change it announces
-- (Succeeded, Failed, Cancelled, AwaitingReview) writes a callback_events row in the same transaction as the change
-- (the outbox), which the deliverer claims (FOR UPDATE SKIP LOCKED) and POSTs until a 2xx, a 410, or the attempts or
-- the age run out. Every attempt is a callback_deliveries row.
--   event_id         the webhook-id, the same for every attempt of the event
--   state            Pending (to deliver), Delivered or Failed (given up; an operator may redeliver)
--   next_attempt_at  when the next attempt is due; while one runs, the claim's lease
--   attempt_base     attempts made before the last redelivery (the attempt budget counts from there)
ALTER TABLE inference_requests ADD COLUMN callback_url text;
ALTER TABLE inference_requests_archive ADD COLUMN callback_url text;

CREATE TABLE callback_events (
    event_id         text        PRIMARY KEY,
    correlation_id   uuid        NOT NULL,
    request_id       text        NOT NULL,
    type             text        NOT NULL,
    url              text        NOT NULL,
    body             text        NOT NULL,
    state            text        NOT NULL DEFAULT 'Pending',
    attempts         integer     NOT NULL DEFAULT 0,
    attempt_base     integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    expires_at       timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    delivered_at     timestamptz,
    last_status      integer,
    last_error       text
);
CREATE INDEX callback_events_due ON callback_events (next_attempt_at) WHERE state = 'Pending';
CREATE INDEX callback_events_by_request ON callback_events (correlation_id, created_at);
CREATE INDEX callback_events_by_state ON callback_events (state, created_at);

CREATE TABLE callback_deliveries (
    id               bigserial   PRIMARY KEY,
    event_id         text        NOT NULL REFERENCES callback_events (event_id) ON DELETE CASCADE,
    correlation_id   uuid        NOT NULL,
    type             text        NOT NULL,
    attempt          integer     NOT NULL,
    attempted_at     timestamptz NOT NULL,
    status_code      integer,
    error            text,
    duration_ms      bigint      NOT NULL,
    next_attempt_at  timestamptz
);
CREATE INDEX callback_deliveries_by_event ON callback_deliveries (event_id, attempt);

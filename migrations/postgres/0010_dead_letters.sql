-- Dead letters: every message MassTransit moved to an _error queue (a consumer threw, or it could not be read) or
-- to a _skipped queue (no consumer for its type), recorded by the orchestrator's collectors so operators can list,
-- requeue or discard it (AMQP cannot browse a queue).
--   queue         the _error/_skipped queue it arrived in;  source_queue  where it failed, and where a requeue sends it
--   status        Pending, then Requeued or Discarded (resolved_at, resolved_by say when and by whom)
CREATE TABLE dead_letters (
    id            bigserial   PRIMARY KEY,
    received_at   timestamptz NOT NULL,
    queue         text        NOT NULL,
    source_queue  text        NOT NULL,
    kind          text        NOT NULL,
    message_id    text,
    message_type  text,
    request_id    text,
    reason        text        NOT NULL,
    content_type  text,
    headers       text        NOT NULL,
    body          bytea       NOT NULL,
    status        text        NOT NULL DEFAULT 'Pending',
    resolved_at   timestamptz,
    resolved_by   text
);
CREATE INDEX dead_letters_by_status ON dead_letters (status, id);

-- The saga tables. One row per request in inference_requests, one row per attempt in inference_attempts.
-- States and failure kinds are stored as their readable names (Pending, Succeeded, Transient, ...);
-- every timestamp is timestamptz in UTC.

CREATE TABLE inference_requests (
    correlation_id    uuid        PRIMARY KEY,
    request_id        varchar(128) NOT NULL,
    generation        integer     NOT NULL DEFAULT 1,
    -- NULL only for an instant: the saga repository inserts the row before the first transition names a state.
    state             varchar(32),
    model             text        NOT NULL,
    payload           jsonb       NOT NULL,
    payload_hash      char(64)    NOT NULL,
    source_service    text,
    metadata          jsonb,
    attempt           integer     NOT NULL DEFAULT 0,
    failure_kind      varchar(32),
    reason            text,
    output            text,
    finish_reason     varchar(32),
    confidence        double precision,
    prompt_tokens     integer,
    completion_tokens integer,
    deadline          timestamptz,
    next_attempt_at   timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    completed_at      timestamptz,
    version           integer     NOT NULL DEFAULT 0,
    CONSTRAINT inference_requests_state_check CHECK (state IS NULL OR state IN
        ('Pending', 'Processing', 'RetryScheduled', 'AwaitingReview', 'Paused', 'Succeeded', 'Failed', 'Cancelled')),
    CONSTRAINT inference_requests_failure_kind_check CHECK (failure_kind IS NULL OR failure_kind IN
        ('Transient', 'Permanent', 'CircuitOpen', 'InvalidInput', 'DeadlineExceeded', 'Rejected'))
);

CREATE UNIQUE INDEX inference_requests_request_id ON inference_requests (request_id);
CREATE INDEX inference_requests_state_updated ON inference_requests (state, updated_at);
CREATE INDEX inference_requests_created ON inference_requests (created_at);

CREATE TABLE inference_attempts (
    correlation_id    uuid        NOT NULL REFERENCES inference_requests (correlation_id) ON DELETE CASCADE,
    attempt           integer     NOT NULL,
    worker_id         text,
    endpoint          text,
    started_at        timestamptz,
    finished_at       timestamptz,
    outcome           varchar(32) NOT NULL,
    failure_kind      varchar(32),
    http_status       integer,
    latency_ms        bigint,
    reason            text,
    backoff_ms        bigint,
    prompt_tokens     integer,
    completion_tokens integer,
    PRIMARY KEY (correlation_id, attempt)
);

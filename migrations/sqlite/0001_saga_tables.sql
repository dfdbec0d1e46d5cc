-- The saga tables for the embedded mode (same shape as migrations/postgres). Timestamps are UTC text.

CREATE TABLE inference_requests (
    correlation_id    TEXT    NOT NULL PRIMARY KEY,
    request_id        TEXT    NOT NULL,
    generation        INTEGER NOT NULL DEFAULT 1,
    state             TEXT,
    model             TEXT    NOT NULL,
    payload           TEXT    NOT NULL,
    payload_hash      TEXT    NOT NULL,
    source_service    TEXT,
    metadata          TEXT,
    attempt           INTEGER NOT NULL DEFAULT 0,
    failure_kind      TEXT,
    reason            TEXT,
    output            TEXT,
    finish_reason     TEXT,
    confidence        REAL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    deadline          TEXT,
    next_attempt_at   TEXT,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    completed_at      TEXT,
    version           INTEGER NOT NULL DEFAULT 0
);

CREATE UNIQUE INDEX inference_requests_request_id ON inference_requests (request_id);
CREATE INDEX inference_requests_state_updated ON inference_requests (state, updated_at);
CREATE INDEX inference_requests_created ON inference_requests (created_at);

CREATE TABLE inference_attempts (
    correlation_id    TEXT    NOT NULL REFERENCES inference_requests (correlation_id) ON DELETE CASCADE,
    attempt           INTEGER NOT NULL,
    worker_id         TEXT,
    endpoint          TEXT,
    started_at        TEXT,
    finished_at       TEXT,
    outcome           TEXT    NOT NULL,
    failure_kind      TEXT,
    http_status       INTEGER,
    latency_ms        INTEGER,
    reason            TEXT,
    backoff_ms        INTEGER,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    PRIMARY KEY (correlation_id, attempt)
);

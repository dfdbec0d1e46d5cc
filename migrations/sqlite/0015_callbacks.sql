-- See migrations/postgres/0015.
ALTER TABLE inference_requests ADD COLUMN callback_url TEXT;
ALTER TABLE inference_requests_archive ADD COLUMN callback_url TEXT;

CREATE TABLE callback_events (
    event_id         TEXT    NOT NULL PRIMARY KEY,
    correlation_id   TEXT    NOT NULL,
    request_id       TEXT    NOT NULL,
    type             TEXT    NOT NULL,
    url              TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'Pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    attempt_base     INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    expires_at       TEXT    NOT NULL,
    created_at       TEXT    NOT NULL,
    delivered_at     TEXT,
    last_status      INTEGER,
    last_error       TEXT
);
CREATE INDEX callback_events_due ON callback_events (next_attempt_at) WHERE state = 'Pending';
CREATE INDEX callback_events_by_request ON callback_events (correlation_id, created_at);
CREATE INDEX callback_events_by_state ON callback_events (state, created_at);

CREATE TABLE callback_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id         TEXT    NOT NULL REFERENCES callback_events (event_id) ON DELETE CASCADE,
    correlation_id   TEXT    NOT NULL,
    type             TEXT    NOT NULL,
    attempt          INTEGER NOT NULL,
    attempted_at     TEXT    NOT NULL,
    status_code      INTEGER,
    error            TEXT,
    duration_ms      INTEGER NOT NULL,
    next_attempt_at  TEXT
);
CREATE INDEX callback_deliveries_by_event ON callback_deliveries (event_id, attempt);

-- See migrations/postgres/0010.
CREATE TABLE dead_letters (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at   TEXT    NOT NULL,
    queue         TEXT    NOT NULL,
    source_queue  TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    message_id    TEXT,
    message_type  TEXT,
    request_id    TEXT,
    reason        TEXT    NOT NULL,
    content_type  TEXT,
    headers       TEXT    NOT NULL,
    body          BLOB    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'Pending',
    resolved_at   TEXT,
    resolved_by   TEXT
);
CREATE INDEX dead_letters_by_status ON dead_letters (status, id);

-- Upstream identities, one-time tokens, the audit log and rate counters.

CREATE TABLE identities (
    provider      TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    user_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email         TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_user_id ON identities (user_id);

CREATE TABLE one_time_tokens (
    hash       TEXT    NOT NULL PRIMARY KEY,
    purpose    TEXT    NOT NULL,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);
CREATE INDEX one_time_tokens_expires_at ON one_time_tokens (expires_at);

-- Audit events name users and clients without a foreign key: they outlive them.
CREATE TABLE audit_events (
    id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    time       INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    outcome    TEXT    NOT NULL DEFAULT '',
    user_id    TEXT    NOT NULL DEFAULT '',
    client_id  TEXT    NOT NULL DEFAULT '',
    ip         TEXT    NOT NULL DEFAULT '',
    user_agent TEXT    NOT NULL DEFAULT '',
    details    TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_user ON audit_events (user_id, time) WHERE user_id <> '';
CREATE INDEX audit_events_type ON audit_events (type, time);

CREATE TABLE rate_counters (
    key        TEXT    NOT NULL PRIMARY KEY,
    count      INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX rate_counters_expires_at ON rate_counters (expires_at);

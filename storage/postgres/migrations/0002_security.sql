-- Upstream identities, one-time tokens, the audit log and rate counters.

CREATE TABLE identities (
    provider      text COLLATE "C" NOT NULL,
    subject       text COLLATE "C" NOT NULL,
    user_id       text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email         text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    last_login_at timestamptz NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_user_id ON identities (user_id);

CREATE TABLE one_time_tokens (
    hash       text COLLATE "C" NOT NULL PRIMARY KEY,
    purpose    text COLLATE "C" NOT NULL,
    user_id    text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);
CREATE INDEX one_time_tokens_expires_at ON one_time_tokens (expires_at);

-- Audit events name users and clients without a foreign key: they outlive them.
CREATE TABLE audit_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time       timestamptz NOT NULL,
    type       text COLLATE "C" NOT NULL,
    outcome    text        NOT NULL DEFAULT '',
    user_id    text COLLATE "C" NOT NULL DEFAULT '',
    client_id  text COLLATE "C" NOT NULL DEFAULT '',
    ip         text        NOT NULL DEFAULT '',
    user_agent text        NOT NULL DEFAULT '',
    details    jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_user ON audit_events (user_id, time) WHERE user_id <> '';
CREATE INDEX audit_events_type ON audit_events (type, time);

CREATE TABLE rate_counters (
    key        text COLLATE "C" NOT NULL PRIMARY KEY,
    count      bigint      NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX rate_counters_expires_at ON rate_counters (expires_at);

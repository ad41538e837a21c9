-- Gatehouse schema, version 1. Times are INTEGER Unix microseconds (UTC);
-- optional times are NULL. String lists are JSON arrays.

CREATE TABLE users (
    id             TEXT    NOT NULL PRIMARY KEY,
    email          TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    email_verified INTEGER NOT NULL DEFAULT 0,
    name           TEXT    NOT NULL DEFAULT '',
    password_hash  BLOB,
    roles          TEXT    NOT NULL DEFAULT '[]',
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX users_created_at ON users (created_at, id);

CREATE TABLE clients (
    id                        TEXT    NOT NULL PRIMARY KEY,
    name                      TEXT    NOT NULL DEFAULT '',
    secret_hash               BLOB,
    public                    INTEGER NOT NULL DEFAULT 0,
    redirect_uris             TEXT    NOT NULL DEFAULT '[]',
    post_logout_redirect_uris TEXT    NOT NULL DEFAULT '[]',
    grant_types               TEXT    NOT NULL DEFAULT '[]',
    response_types            TEXT    NOT NULL DEFAULT '[]',
    scopes                    TEXT    NOT NULL DEFAULT '[]',
    audience                  TEXT    NOT NULL DEFAULT '[]',
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL
);
CREATE INDEX clients_created_at ON clients (created_at, id);

CREATE TABLE browser_sessions (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    auth_time  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ip         TEXT    NOT NULL DEFAULT '',
    user_agent TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX browser_sessions_user_id ON browser_sessions (user_id);
CREATE INDEX browser_sessions_expires_at ON browser_sessions (expires_at);

CREATE TABLE consents (
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL DEFAULT '[]',
    granted_at INTEGER NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_client_id ON consents (client_id);
CREATE INDEX consents_expires_at ON consents (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE keys (
    id          TEXT    NOT NULL PRIMARY KEY,
    algorithm   TEXT    NOT NULL,
    private_key BLOB,
    public_jwk  BLOB,
    created_at  INTEGER NOT NULL,
    sign_from   INTEGER NOT NULL,
    retire_at   INTEGER
);

-- Every fosite session kind in one table, keyed by (kind, signature).
CREATE TABLE token_sessions (
    kind             TEXT    NOT NULL,
    signature        TEXT    NOT NULL,
    request_id       TEXT    NOT NULL,
    client_id        TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    subject          TEXT    NOT NULL DEFAULT '',
    active           INTEGER NOT NULL DEFAULT 1,
    requested_at     INTEGER NOT NULL,
    expires_at       INTEGER,
    access_signature TEXT    NOT NULL DEFAULT '',
    data             BLOB,
    PRIMARY KEY (kind, signature)
);
CREATE INDEX token_sessions_request ON token_sessions (kind, request_id);
CREATE INDEX token_sessions_subject ON token_sessions (subject, client_id);
CREATE INDEX token_sessions_client_id ON token_sessions (client_id);
CREATE INDEX token_sessions_expires_at ON token_sessions (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE jtis (
    jti        TEXT    NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX jtis_expires_at ON jtis (expires_at);

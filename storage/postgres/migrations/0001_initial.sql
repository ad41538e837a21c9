-- Gatehouse schema, version 1 (PostgreSQL). Times are timestamptz, whole
-- microseconds; optional times are NULL. String lists are text[].
-- Identifiers use the "C" collation: bytewise order whatever the locale.

CREATE TABLE users (
    id             text COLLATE "C" NOT NULL PRIMARY KEY,
    email          text COLLATE "C" NOT NULL,
    email_verified boolean     NOT NULL DEFAULT false,
    name           text        NOT NULL DEFAULT '',
    password_hash  bytea,
    roles          text[]      NOT NULL DEFAULT '{}',
    disabled       boolean     NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE INDEX users_created_at ON users (created_at, id);

CREATE TABLE clients (
    id                        text COLLATE "C" NOT NULL PRIMARY KEY,
    name                      text        NOT NULL DEFAULT '',
    secret_hash               bytea,
    public                    boolean     NOT NULL DEFAULT false,
    redirect_uris             text[]      NOT NULL DEFAULT '{}',
    post_logout_redirect_uris text[]      NOT NULL DEFAULT '{}',
    grant_types               text[]      NOT NULL DEFAULT '{}',
    response_types            text[]      NOT NULL DEFAULT '{}',
    scopes                    text[]      NOT NULL DEFAULT '{}',
    audience                  text[]      NOT NULL DEFAULT '{}',
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL
);
CREATE INDEX clients_created_at ON clients (created_at, id);

CREATE TABLE browser_sessions (
    id         text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id    text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    auth_time  timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    ip         text        NOT NULL DEFAULT '',
    user_agent text        NOT NULL DEFAULT ''
);
CREATE INDEX browser_sessions_user_id ON browser_sessions (user_id);
CREATE INDEX browser_sessions_expires_at ON browser_sessions (expires_at);

CREATE TABLE consents (
    user_id    text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  text COLLATE "C" NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scopes     text[]      NOT NULL DEFAULT '{}',
    granted_at timestamptz NOT NULL,
    expires_at timestamptz,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_client_id ON consents (client_id);
CREATE INDEX consents_expires_at ON consents (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE keys (
    id          text COLLATE "C" NOT NULL PRIMARY KEY,
    algorithm   text        NOT NULL,
    private_key bytea,
    public_jwk  bytea,
    created_at  timestamptz NOT NULL,
    sign_from   timestamptz NOT NULL,
    retire_at   timestamptz
);

-- Every fosite session kind in one table, keyed by (kind, signature).
CREATE TABLE token_sessions (
    kind             text COLLATE "C" NOT NULL,
    signature        text COLLATE "C" NOT NULL,
    request_id       text COLLATE "C" NOT NULL,
    client_id        text COLLATE "C" NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    subject          text COLLATE "C" NOT NULL DEFAULT '',
    active           boolean     NOT NULL DEFAULT true,
    requested_at     timestamptz NOT NULL,
    expires_at       timestamptz,
    access_signature text COLLATE "C" NOT NULL DEFAULT '',
    data             bytea,
    PRIMARY KEY (kind, signature)
);
CREATE INDEX token_sessions_request ON token_sessions (kind, request_id);
CREATE INDEX token_sessions_subject ON token_sessions (subject, client_id);
CREATE INDEX token_sessions_client_id ON token_sessions (client_id);
CREATE INDEX token_sessions_expires_at ON token_sessions (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE jtis (
    jti        text COLLATE "C" NOT NULL PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX jtis_expires_at ON jtis (expires_at);

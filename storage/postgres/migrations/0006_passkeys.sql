-- Passkeys (WebAuthn credentials): several per user, each credential id
-- registered once across all users.
CREATE TABLE passkeys (
    credential_id bytea       NOT NULL PRIMARY KEY,
    user_id       text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text        NOT NULL,
    credential    bytea       NOT NULL,
    sign_count    bigint      NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz
);
CREATE INDEX passkeys_user_id ON passkeys (user_id, created_at);

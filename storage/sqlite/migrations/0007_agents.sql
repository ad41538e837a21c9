-- Clients that register themselves and agents (issue 15): who registered a
-- client, its RFC 7592 registration access token (hashed), its metadata,
-- when it was last used (the janitor deletes unused self-registered
-- clients), optional PKCE for confidential clients; the people's standard
-- profile claims; initial access tokens for dynamic registration.
ALTER TABLE clients ADD COLUMN origin TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN registration_token_hash BLOB;
ALTER TABLE clients ADD COLUMN metadata BLOB;
ALTER TABLE clients ADD COLUMN last_used_at INTEGER;
ALTER TABLE clients ADD COLUMN pkce_optional INTEGER NOT NULL DEFAULT 0;
CREATE INDEX clients_origin ON clients (origin, created_at) WHERE origin <> '';

ALTER TABLE users ADD COLUMN given_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN family_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN preferred_username TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN picture TEXT NOT NULL DEFAULT '';

CREATE TABLE initial_access_tokens (
    hash       TEXT    NOT NULL PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    max_uses   INTEGER NOT NULL DEFAULT 0,
    uses       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX initial_access_tokens_expires_at ON initial_access_tokens (expires_at);

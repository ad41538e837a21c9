-- Clients that register themselves and agents (issue 15): who registered a
-- client, its RFC 7592 registration access token (hashed), its metadata,
-- when it was last used (the janitor deletes unused self-registered
-- clients), optional PKCE for confidential clients; the people's standard
-- profile claims; initial access tokens for dynamic registration.
ALTER TABLE clients ADD COLUMN origin text NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN registration_token_hash bytea;
ALTER TABLE clients ADD COLUMN metadata bytea;
ALTER TABLE clients ADD COLUMN last_used_at timestamptz;
ALTER TABLE clients ADD COLUMN pkce_optional boolean NOT NULL DEFAULT false;
CREATE INDEX clients_origin ON clients (origin, created_at) WHERE origin <> '';

ALTER TABLE users ADD COLUMN given_name text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN family_name text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN preferred_username text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN picture text NOT NULL DEFAULT '';

CREATE TABLE initial_access_tokens (
    hash       text        NOT NULL PRIMARY KEY,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    max_uses   integer     NOT NULL DEFAULT 0,
    uses       integer     NOT NULL DEFAULT 0
);
CREATE INDEX initial_access_tokens_expires_at ON initial_access_tokens (expires_at);

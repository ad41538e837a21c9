-- Second factors (issue 14): TOTP enrolments (secret sealed, last accepted
-- time step for replay), recovery codes (keyed hashes), the factors and acr
-- of each browser session, and clients that require a second factor.
CREATE TABLE mfa_totp (
    user_id      TEXT    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       BLOB    NOT NULL,
    confirmed    INTEGER NOT NULL DEFAULT 0,
    last_step    INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);

CREATE TABLE mfa_recovery_codes (
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, hash)
);

ALTER TABLE browser_sessions ADD COLUMN factors TEXT NOT NULL DEFAULT '[]';
ALTER TABLE browser_sessions ADD COLUMN acr TEXT NOT NULL DEFAULT '';

ALTER TABLE clients ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;

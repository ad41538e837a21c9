-- Second factors (issue 14): TOTP enrolments (secret sealed, last accepted
-- time step for replay), recovery codes (keyed hashes), the factors and acr
-- of each browser session, and clients that require a second factor.
CREATE TABLE mfa_totp (
    user_id      text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       bytea       NOT NULL,
    confirmed    boolean     NOT NULL DEFAULT false,
    last_step    bigint      NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz
);

CREATE TABLE mfa_recovery_codes (
    user_id    text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash       text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, hash)
);

ALTER TABLE browser_sessions ADD COLUMN factors text NOT NULL DEFAULT '[]';
ALTER TABLE browser_sessions ADD COLUMN acr text NOT NULL DEFAULT '';

ALTER TABLE clients ADD COLUMN require_mfa boolean NOT NULL DEFAULT false;

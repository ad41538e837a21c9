-- Back-channel logout and clients declared in the configuration file.

-- Each browser session gets a public id, the sid claim: random, unrelated
-- to the cookie. Sessions signed in before this migration get one too.
ALTER TABLE browser_sessions ADD COLUMN sid TEXT NOT NULL DEFAULT '';
UPDATE browser_sessions SET sid = lower(hex(randomblob(16))) WHERE sid = '';
CREATE UNIQUE INDEX browser_sessions_sid ON browser_sessions (sid);

ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN backchannel_logout_session_required INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN config_managed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;

-- Which clients got tokens (which grant) in which browser session; the
-- rows go with the session.
CREATE TABLE session_clients (
    sid        TEXT    NOT NULL REFERENCES browser_sessions (sid) ON DELETE CASCADE,
    client_id  TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    request_id TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (sid, request_id)
);
CREATE INDEX session_clients_client_id ON session_clients (client_id);

-- Logout tokens waiting to be sent; a node claims a row with a lease.
CREATE TABLE logout_deliveries (
    id              TEXT    NOT NULL PRIMARY KEY,
    client_id       TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    subject         TEXT    NOT NULL,
    sid             TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    claim           TEXT    NOT NULL DEFAULT '',
    lease_until     INTEGER,
    last_error      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX logout_deliveries_due ON logout_deliveries (next_attempt_at);
CREATE INDEX logout_deliveries_client_id ON logout_deliveries (client_id);

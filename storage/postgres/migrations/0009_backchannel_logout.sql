-- Back-channel logout and clients declared in the configuration file.

-- Each browser session gets a public id, the sid claim: random, unrelated
-- to the cookie. Sessions signed in before this migration get one too.
ALTER TABLE browser_sessions ADD COLUMN sid text COLLATE "C" NOT NULL DEFAULT '';
UPDATE browser_sessions SET sid = replace(gen_random_uuid()::text, '-', '') WHERE sid = '';
CREATE UNIQUE INDEX browser_sessions_sid ON browser_sessions (sid);

ALTER TABLE clients ADD COLUMN backchannel_logout_uri text NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN backchannel_logout_session_required boolean NOT NULL DEFAULT false;
ALTER TABLE clients ADD COLUMN config_managed boolean NOT NULL DEFAULT false;
ALTER TABLE clients ADD COLUMN disabled boolean NOT NULL DEFAULT false;

-- Which clients got tokens (which grant) in which browser session; the
-- rows go with the session. The foreign key also makes a session's end
-- wait for a grant being recorded in it.
CREATE TABLE session_clients (
    sid        text COLLATE "C" NOT NULL REFERENCES browser_sessions (sid) ON DELETE CASCADE,
    client_id  text COLLATE "C" NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    request_id text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (sid, request_id)
);
CREATE INDEX session_clients_client_id ON session_clients (client_id);

-- Logout tokens waiting to be sent; a node claims a row with a lease.
CREATE TABLE logout_deliveries (
    id              text COLLATE "C" NOT NULL PRIMARY KEY,
    client_id       text COLLATE "C" NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    subject         text COLLATE "C" NOT NULL,
    sid             text COLLATE "C" NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    claim           text COLLATE "C" NOT NULL DEFAULT '',
    lease_until     timestamptz,
    last_error      text        NOT NULL DEFAULT ''
);
CREATE INDEX logout_deliveries_due ON logout_deliveries (next_attempt_at);
CREATE INDEX logout_deliveries_client_id ON logout_deliveries (client_id);

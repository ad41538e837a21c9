-- Modern grants (issue 16): per-client PAR, DPoP and token-exchange
-- settings, and device authorization requests (RFC 8628).
ALTER TABLE clients ADD COLUMN require_par INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN require_dpop INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN allow_impersonation INTEGER NOT NULL DEFAULT 0;

-- device_code: hex SHA-256 of the device code; user_code: keyed hash of
-- the normalised user code. Neither is stored in the clear.
CREATE TABLE device_codes (
    device_code    TEXT    NOT NULL PRIMARY KEY,
    user_code      TEXT    NOT NULL UNIQUE,
    client_id      TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    status         TEXT    NOT NULL,
    subject        TEXT    NOT NULL DEFAULT '',
    interval_ms    INTEGER NOT NULL,
    last_polled_at INTEGER,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    data           BLOB
);
CREATE INDEX device_codes_client_id ON device_codes (client_id);
CREATE INDEX device_codes_expires_at ON device_codes (expires_at);

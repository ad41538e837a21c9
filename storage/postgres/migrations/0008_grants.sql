-- Modern grants (issue 16): per-client PAR, DPoP and token-exchange
-- settings, and device authorization requests (RFC 8628).
ALTER TABLE clients ADD COLUMN require_par boolean NOT NULL DEFAULT false;
ALTER TABLE clients ADD COLUMN require_dpop boolean NOT NULL DEFAULT false;
ALTER TABLE clients ADD COLUMN allow_impersonation boolean NOT NULL DEFAULT false;

-- device_code: hex SHA-256 of the device code; user_code: keyed hash of
-- the normalised user code. Neither is stored in the clear.
CREATE TABLE device_codes (
    device_code    text COLLATE "C" NOT NULL PRIMARY KEY,
    user_code      text COLLATE "C" NOT NULL UNIQUE,
    client_id      text COLLATE "C" NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    status         text COLLATE "C" NOT NULL,
    subject        text COLLATE "C" NOT NULL DEFAULT '',
    interval_ms    bigint      NOT NULL,
    last_polled_at timestamptz,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    data           bytea
);
CREATE INDEX device_codes_client_id ON device_codes (client_id);
CREATE INDEX device_codes_expires_at ON device_codes (expires_at);

-- A client registered as a resource server may introspect any token
-- (issue 11); every other client only the tokens issued to it.
ALTER TABLE clients ADD COLUMN introspect_any INTEGER NOT NULL DEFAULT 0;

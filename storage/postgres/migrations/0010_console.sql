-- The admin console filters the audit log by client (issue 17).
CREATE INDEX audit_events_client ON audit_events (client_id, time) WHERE client_id <> '';

-- The audit log belongs to a role of its own, so the gate's processes cannot rewrite it.
--
-- approval_gate_app: what the API and the workers may do (grant it to the login role they use).
-- approval_gate_audit_owner: owns audit_events and the two append functions, which run as their
-- owner (SECURITY DEFINER): the app appends through them and can read the log, but cannot
-- INSERT, UPDATE, DELETE or TRUNCATE it. This holds when the app's login role is neither a
-- superuser nor a member of approval_gate_audit_owner (README: Records). Migrations run as a
-- role that is a member of approval_gate_audit_owner, or as a superuser; deploy/postgres-init.sql
-- creates both roles beforehand where the migrating role may not create roles.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'approval_gate_app') THEN
    CREATE ROLE approval_gate_app NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'approval_gate_audit_owner') THEN
    CREATE ROLE approval_gate_audit_owner NOLOGIN;
  END IF;
END $$;

ALTER TABLE audit_events OWNER TO approval_gate_audit_owner;
ALTER FUNCTION audit_events_are_append_only() OWNER TO approval_gate_audit_owner;
ALTER FUNCTION append_audit_event(text, text, text, text, jsonb, timestamptz, bytea) OWNER TO approval_gate_audit_owner;
ALTER FUNCTION append_keyed_audit_event(text, text, text, text, jsonb, timestamptz, bytea, text, bytea, bytea) OWNER TO approval_gate_audit_owner;
-- Run as the owner, with a search path no caller can put a table of its own in front of.
ALTER FUNCTION append_audit_event(text, text, text, text, jsonb, timestamptz, bytea) SECURITY DEFINER SET search_path = public, pg_catalog;
ALTER FUNCTION append_keyed_audit_event(text, text, text, text, jsonb, timestamptz, bytea, text, bytea, bytea) SECURITY DEFINER SET search_path = public, pg_catalog;
REVOKE ALL ON FUNCTION append_audit_event(text, text, text, text, jsonb, timestamptz, bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION append_keyed_audit_event(text, text, text, text, jsonb, timestamptz, bytea, text, bytea, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION append_audit_event(text, text, text, text, jsonb, timestamptz, bytea) TO approval_gate_app;
GRANT EXECUTE ON FUNCTION append_keyed_audit_event(text, text, text, text, jsonb, timestamptz, bytea, text, bytea, bytea) TO approval_gate_app;

REVOKE ALL ON audit_events FROM PUBLIC;
GRANT SELECT ON audit_events TO approval_gate_app;

GRANT SELECT, INSERT, UPDATE ON requests, votes, executions, notification_deliveries TO approval_gate_app;
GRANT SELECT, INSERT, DELETE ON used_links TO approval_gate_app;
GRANT SELECT ON schema_migrations TO approval_gate_app;

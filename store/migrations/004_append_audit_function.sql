-- Appends one event to the audit hash chain in one call, so a writer needs no round trip of its
-- own for the chain lock, and can append inside a larger statement (store/audit.ts). It takes the
-- same lock and computes the same hash as the two statements it replaces, so old and new writers
-- may run side by side.
--
-- VOLATILE matters: each statement in a volatile function takes a fresh snapshot, so the INSERT,
-- which runs after the lock is granted, sees the row the previous lock holder committed.
CREATE FUNCTION append_audit_event(
  p_request_id text, p_step text, p_kind text, p_actor text, p_detail jsonb, p_at timestamptz,
  -- The canonical JSON the hash covers besides the previous hash, as UTF-8 (auditBody in audit.ts).
  p_body bytea
) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  appended bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(727002);
  INSERT INTO audit_events (request_id, step, kind, actor, detail, at, prev_hash, hash)
  SELECT p_request_id, p_step, p_kind, p_actor, p_detail, p_at, prev.hash,
         encode(sha256(convert_to(prev.hash || E'\n', 'UTF8') || p_body), 'hex')
  FROM (SELECT COALESCE((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1), repeat('0', 64)) AS hash) AS prev
  RETURNING seq INTO appended;
  RETURN appended;
END $$;

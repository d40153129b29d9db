-- Hostile inputs (issue 12).

-- A one-click link decides once per claim (request, stage, reviewer, decision), whatever the
-- spelling of its token: "used" is keyed on what the link says, not on its text.
CREATE UNIQUE INDEX used_links_by_claims ON used_links (request_id, stage, reviewer, decision);

-- The row trigger stops UPDATE and DELETE; TRUNCATE empties a table without touching a row.
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_are_append_only();

-- The audit chain keyed with AUDIT_KEY, which PostgreSQL never stores: each row names the key
-- that signed it (NULL: plain SHA-256, as before), and its hash is HMAC-SHA256 over the previous
-- hash, a newline and the body. The caller passes the key's inner and outer pads (RFC 2104), so
-- sha256() is all it takes; the same lock and ordering as append_audit_event.
ALTER TABLE audit_events ADD COLUMN key_id text;

CREATE FUNCTION append_keyed_audit_event(
  p_request_id text, p_step text, p_kind text, p_actor text, p_detail jsonb, p_at timestamptz,
  p_body bytea, p_key_id text, p_inner_pad bytea, p_outer_pad bytea
) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  appended bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(727002);
  INSERT INTO audit_events (request_id, step, kind, actor, detail, at, prev_hash, hash, key_id)
  SELECT p_request_id, p_step, p_kind, p_actor, p_detail, p_at, prev.hash,
         encode(sha256(p_outer_pad || sha256(p_inner_pad || convert_to(prev.hash || E'\n', 'UTF8') || p_body)), 'hex'),
         p_key_id
  FROM (SELECT COALESCE((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1), repeat('0', 64)) AS hash) AS prev
  RETURNING seq INTO appended;
  RETURN appended;
END $$;

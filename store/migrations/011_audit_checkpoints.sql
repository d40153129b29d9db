-- Signed checkpoints of the audit chains (ADR 019). Every so often an orchestrator worker records
-- every chain's head (chain, seq, hash) in one row, HMAC-SHA256 under AUDIT_KEY over the previous
-- checkpoint's hash, its time and the heads. Verify checks that the latest checkpoint's heads are
-- rows of their chains: nothing up to it can be cut or rewritten without the key.
CREATE TABLE audit_checkpoints (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  -- One line per chain, `chain:seq:hash` in chain order (`-` for a chain with no row yet): the text
  -- the hash covers.
  heads text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  key_id text NOT NULL
);
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_events_are_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_are_append_only();

-- The caller passes the key's padded forms (RFC 2104), as for append_keyed_audit_event, and the
-- time as the text it hashes.
CREATE FUNCTION append_audit_checkpoint(p_at text, p_key_id text, p_inner_pad bytea, p_outer_pad bytea)
RETURNS TABLE (id bigint, hash text) LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
  v_heads text;
  v_prev text;
  v_hash text;
BEGIN
  PERFORM pg_advisory_xact_lock(727003);
  SELECT string_agg(h.chain || ':' || COALESCE(h.seq::text, '-') || ':' || h.hash, E'\n' ORDER BY h.chain)
    INTO v_heads FROM audit_chain_heads h;
  SELECT COALESCE((SELECT c.hash FROM audit_checkpoints c ORDER BY c.id DESC LIMIT 1), repeat('0', 64)) INTO v_prev;
  v_hash := encode(sha256(p_outer_pad || sha256(p_inner_pad || convert_to(v_prev || E'\n' || p_at || E'\n' || v_heads, 'UTF8'))), 'hex');
  RETURN QUERY
    INSERT INTO audit_checkpoints AS c (at, heads, prev_hash, hash, key_id)
    VALUES (p_at::timestamptz, v_heads, v_prev, v_hash, p_key_id)
    RETURNING c.id, c.hash;
END $$;

ALTER TABLE audit_checkpoints OWNER TO approval_gate_audit_owner;
ALTER FUNCTION append_audit_checkpoint(text, text, bytea, bytea) OWNER TO approval_gate_audit_owner;
REVOKE ALL ON FUNCTION append_audit_checkpoint(text, text, bytea, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION append_audit_checkpoint(text, text, bytea, bytea) TO approval_gate_app;
REVOKE ALL ON audit_checkpoints FROM PUBLIC;
GRANT SELECT ON audit_checkpoints TO approval_gate_app;

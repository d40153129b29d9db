-- The audit log as 16 hash chains instead of one (issue 16). One chain serialized every record
-- write of every request behind one lock held until commit: the gate's ceiling on any cluster
-- (docs/capacity.md). Now each event goes to the chain its request id picks (all of a request's
-- events in one chain), and only writers of the same chain wait for each other, on that chain's
-- head row.
--
-- Rows written before this migration keep `chain` NULL: the original chain, verified as before.
-- Each new chain starts from the original chain's last hash, so it commits to everything before it.
-- The append functions keep their names and arguments: a process still running the older code
-- writes through the new bodies.

-- No append of the original chain may commit between reading its last hash and the new bodies.
SELECT pg_advisory_xact_lock(727002);

ALTER TABLE audit_events ADD COLUMN chain smallint;
CREATE INDEX audit_events_by_chain ON audit_events (chain, seq);

-- Each chain's last row; the row lock on it is the chain's lock.
CREATE TABLE audit_chain_heads (
  chain smallint PRIMARY KEY,
  -- The hash the chain's first row links to: the original chain's last hash (zeros if it had none).
  genesis_hash text NOT NULL,
  seq bigint,
  hash text NOT NULL
);
INSERT INTO audit_chain_heads (chain, genesis_hash, hash)
SELECT chain, head.hash, head.hash
FROM generate_series(0, 15) AS chain,
     (SELECT COALESCE((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1), repeat('0', 64)) AS hash) AS head;
ALTER TABLE audit_chain_heads OWNER TO approval_gate_audit_owner;
REVOKE ALL ON audit_chain_heads FROM PUBLIC;
GRANT SELECT ON audit_chain_heads TO approval_gate_app;

-- The chain of a request: the first byte of SHA-256 of its id, so it never depends on the server's
-- internal hash functions.
CREATE FUNCTION audit_chain_of(p_request_id text) RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
  SELECT (get_byte(sha256(convert_to(p_request_id, 'UTF8')), 0) % 16)::smallint
$$;

-- Appends to the request's chain: lock its head, link to it, move it. The row's hash is SHA-256
-- over the previous hash, a newline and the body, or with a key's padded forms HMAC-SHA256 (as in
-- migrations 004 and 005). Called only by the two functions below, which run as the audit owner.
CREATE FUNCTION append_to_audit_chain(
  p_request_id text, p_step text, p_kind text, p_actor text, p_detail jsonb, p_at timestamptz,
  p_body bytea, p_key_id text, p_inner_pad bytea, p_outer_pad bytea
) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_chain smallint := audit_chain_of(p_request_id);
  v_prev text;
  v_hashed bytea;
  v_hash text;
  appended bigint;
BEGIN
  SELECT hash INTO v_prev FROM audit_chain_heads WHERE chain = v_chain FOR UPDATE;
  v_hashed := convert_to(v_prev || E'\n', 'UTF8') || p_body;
  v_hash := encode(CASE WHEN p_key_id IS NULL THEN sha256(v_hashed)
                        ELSE sha256(p_outer_pad || sha256(p_inner_pad || v_hashed)) END, 'hex');
  INSERT INTO audit_events (request_id, step, kind, actor, detail, at, prev_hash, hash, key_id, chain)
  VALUES (p_request_id, p_step, p_kind, p_actor, p_detail, p_at, v_prev, v_hash, p_key_id, v_chain)
  RETURNING seq INTO appended;
  UPDATE audit_chain_heads SET seq = appended, hash = v_hash WHERE chain = v_chain;
  RETURN appended;
END $$;
ALTER FUNCTION append_to_audit_chain(text, text, text, text, jsonb, timestamptz, bytea, text, bytea, bytea)
  OWNER TO approval_gate_audit_owner;
REVOKE ALL ON FUNCTION append_to_audit_chain(text, text, text, text, jsonb, timestamptz, bytea, text, bytea, bytea)
  FROM PUBLIC;

-- CREATE OR REPLACE resets SECURITY DEFINER and the search path, so they are repeated from migration 006.
CREATE OR REPLACE FUNCTION append_audit_event(
  p_request_id text, p_step text, p_kind text, p_actor text, p_detail jsonb, p_at timestamptz,
  p_body bytea
) RETURNS bigint LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT append_to_audit_chain(p_request_id, p_step, p_kind, p_actor, p_detail, p_at, p_body, NULL, NULL, NULL)
$$;

CREATE OR REPLACE FUNCTION append_keyed_audit_event(
  p_request_id text, p_step text, p_kind text, p_actor text, p_detail jsonb, p_at timestamptz,
  p_body bytea, p_key_id text, p_inner_pad bytea, p_outer_pad bytea
) RETURNS bigint LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT append_to_audit_chain(p_request_id, p_step, p_kind, p_actor, p_detail, p_at, p_body, p_key_id, p_inner_pad, p_outer_pad)
$$;

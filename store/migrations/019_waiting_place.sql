-- Whether an agent may have one more request waiting for policy's verdict or for reviewers
-- (MAX_WAITING_PER_AGENT, ADR 060), decided inside the submit's own INSERT so that a held submit is
-- one statement, as every other record write is. The lock per agent is taken first and held to the
-- end of the statement's transaction; the count then runs under a snapshot of its own, taken after
-- the lock (a VOLATILE function's queries take a fresh one under READ COMMITTED), so it sees every
-- request a concurrent submit of the same agent committed before releasing the lock.
CREATE FUNCTION waiting_place_free(p_agent text, p_max int) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_catalog AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('waiting:' || p_agent, 0));
  RETURN (SELECT count(*) FROM (SELECT 1 FROM requests
            WHERE agent = p_agent AND status IN ('evaluating', 'pending_approval') LIMIT p_max) AS open) < p_max;
END $$;
REVOKE ALL ON FUNCTION waiting_place_free(text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION waiting_place_free(text, int) TO approval_gate_app;

-- An agent's requests that wait for policy's verdict or for reviewers, counted at each submit that
-- policy would hold (MAX_WAITING_PER_AGENT, ADR 060): an index of the open ones only, so the count
-- reads at most the bound's rows however many closed requests the agent has.
CREATE INDEX requests_waiting_by_agent ON requests (agent) WHERE status IN ('evaluating', 'pending_approval');

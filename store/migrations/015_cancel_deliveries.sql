-- An agent's cancel, recorded by the API before it is sent to the workflow as its cancel update,
-- and the API's to deliver again until the workflow answers: an update the Temporal server had
-- not accepted is lost with the server, even when the workflow's local activity had already
-- recorded `cancelled` (migration 014 does the same for votes; docs/reliability.md). One row per
-- request: the update's id is one per request too.
CREATE TABLE cancel_deliveries (
  request_id  text PRIMARY KEY REFERENCES requests (id),
  agent       text NOT NULL,
  asked_at    timestamptz NOT NULL DEFAULT now(),
  -- When the workflow answered: it cancelled the request, or refused (a decision came first).
  answered_at timestamptz,
  -- Why the workflow refused; null when it cancelled the request.
  refusal     text
);
-- Requests cancelled before this table: their cancels were answered.
INSERT INTO cancel_deliveries (request_id, agent, asked_at, answered_at)
  SELECT id, agent, updated_at, updated_at FROM requests WHERE status = 'cancelled';

-- The API replicas' sweep reads only the few cancels still waiting for an answer.
CREATE INDEX cancel_deliveries_unanswered ON cancel_deliveries (asked_at) WHERE answered_at IS NULL;

GRANT SELECT, INSERT, UPDATE ON cancel_deliveries TO approval_gate_app;

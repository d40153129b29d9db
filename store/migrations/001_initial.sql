-- The read model the API lists from: one row per request, its current state.
CREATE TABLE requests (
  id          text PRIMARY KEY,
  agent       text NOT NULL,
  connector   text NOT NULL,
  target      text NOT NULL,
  command     jsonb NOT NULL,
  reason      text NOT NULL,
  metadata    jsonb NOT NULL DEFAULT '{}',
  status      text NOT NULL,
  policy      jsonb,
  approval    jsonb,
  result      jsonb,
  error       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX requests_by_created ON requests (created_at DESC, id DESC);
CREATE INDEX requests_by_agent ON requests (agent, created_at DESC, id DESC);
CREATE INDEX requests_by_status ON requests (status, created_at DESC, id DESC);

-- Every vote. API votes are written by the API (state 'submitted') before they reach the
-- workflow, so the workflow can later prove that the API votes it counted are real.
CREATE TABLE votes (
  id          text PRIMARY KEY,
  request_id  text NOT NULL REFERENCES requests (id),
  reviewer    text NOT NULL,
  decision    text NOT NULL CHECK (decision IN ('approve', 'reject')),
  comment     text,
  channel     text NOT NULL CHECK (channel IN ('api', 'temporal')),
  verified    boolean NOT NULL,
  state       text NOT NULL CHECK (state IN ('submitted', 'counted', 'refused')),
  refusal     text,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX votes_by_request ON votes (request_id, at);

-- Append-only, one row per step of a request, hash-chained across all requests.
CREATE TABLE audit_events (
  seq         bigserial PRIMARY KEY,
  request_id  text NOT NULL,
  step        text NOT NULL,
  kind        text NOT NULL,
  actor       text,
  detail      jsonb NOT NULL,
  at          timestamptz NOT NULL,
  prev_hash   text NOT NULL,
  hash        text NOT NULL,
  UNIQUE (request_id, step)
);

CREATE FUNCTION audit_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_are_append_only();

-- The at-most-once ledger: a claim is written before the command starts.
CREATE TABLE executions (
  request_id   text PRIMARY KEY REFERENCES requests (id),
  status       text NOT NULL CHECK (status IN ('claimed', 'succeeded', 'failed')),
  executor     text NOT NULL,
  attempt      integer NOT NULL,
  claimed_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  result       jsonb,
  error        text
);

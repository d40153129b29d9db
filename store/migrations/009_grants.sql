-- Scoped grants: a reviewer approved "this and commands of the same shape" (same agent, target,
-- rule and PostgreSQL query fingerprint) for at most max_uses executions until expires_at.
-- uses_left is taken atomically by the requests that use it.
CREATE TABLE grants (
  id             text PRIMARY KEY,
  agent          text NOT NULL,
  target         text NOT NULL,
  rule           text NOT NULL,
  fingerprint    text NOT NULL,
  example_sql    text NOT NULL,
  max_uses       int NOT NULL CHECK (max_uses > 0),
  uses_left      int NOT NULL CHECK (uses_left >= 0),
  expires_at     timestamptz NOT NULL,
  granted_by     text NOT NULL,
  source_request text NOT NULL REFERENCES requests (id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz,
  revoked_by     text,
  expired_at     timestamptz
);
CREATE INDEX grants_by_shape ON grants (agent, target, fingerprint) WHERE revoked_at IS NULL;

-- The grant a request was approved by, when one was.
ALTER TABLE requests ADD COLUMN grant_id text REFERENCES grants (id);

GRANT SELECT, INSERT, UPDATE ON grants TO approval_gate_app;

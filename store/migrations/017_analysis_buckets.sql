-- Each principal's analysis budget shared by every API replica (RATE_LIMIT_STORE=postgres, ADR
-- 038): a leaky bucket of milliseconds of parse and policy time. A call adds what it took; the
-- level drains at the principal's rate (ANALYSIS_RATE_LIMIT_MS a minute) from `drained_at`. One row
-- per principal that ever sent a command: principals are configured, so the table stays small.
CREATE UNLOGGED TABLE analysis_buckets (
  principal  text PRIMARY KEY,
  level_ms   double precision NOT NULL,
  drained_at timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE ON analysis_buckets TO approval_gate_app;

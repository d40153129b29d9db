-- Rate limits shared by every API replica (RATE_LIMIT_STORE=postgres): one row per limited key
-- (a route and a principal or caller address), its hits in the current window and when the
-- window ends. Rows of ended windows are deleted by the API now and then.
CREATE UNLOGGED TABLE rate_limit_windows (
  key       text PRIMARY KEY,
  hits      integer NOT NULL,
  resets_at timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limit_windows TO approval_gate_app;

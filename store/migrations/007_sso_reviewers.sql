-- Reviewers admitted by single sign-on from their IdP groups alone (OIDC_ADMIT_BY_GROUPS): they
-- are in no principals file, so the API records each sign-in here and the orchestrator's reviewer
-- look-up reads their groups from this table until the latest session expires.
CREATE TABLE sso_reviewers (
  id text PRIMARY KEY,
  subject text NOT NULL,
  email text,
  groups text[] NOT NULL,
  signed_in_at timestamptz NOT NULL,
  valid_until timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE ON sso_reviewers TO approval_gate_app;

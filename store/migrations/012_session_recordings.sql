-- The recording of a command run over SSH (asciicast v2, masked by the executor before it is
-- written): one per execution, kept with the request it belongs to and never rewritten.
CREATE TABLE session_recordings (
  request_id  text PRIMARY KEY REFERENCES executions (request_id),
  cast_text   text NOT NULL,
  duration_ms int NOT NULL CHECK (duration_ms >= 0),
  created_at  timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT ON session_recordings TO approval_gate_app;

-- Approval chains, notifications and one-click links (issue 3).

ALTER TABLE requests ADD COLUMN callback_url text;

-- The stage a vote was cast in, and the voter's groups that counted there (distinctGroups).
ALTER TABLE votes ADD COLUMN stage integer;
ALTER TABLE votes ADD COLUMN groups text[];

-- One row per notice and destination (a webhook's name, or 'callback' for the agent's URL):
-- a retried notify activity skips what was delivered, and failures stay visible.
CREATE TABLE notification_deliveries (
  request_id   text NOT NULL REFERENCES requests (id),
  notice       text NOT NULL,
  destination  text NOT NULL,
  status       text NOT NULL CHECK (status IN ('retrying', 'delivered', 'failed')),
  attempts     integer NOT NULL,
  last_error   text,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, notice, destination)
);

-- A one-click link decides once: its token's hash is written before the vote is cast.
CREATE TABLE used_links (
  token_sha256  text PRIMARY KEY,
  request_id    text NOT NULL REFERENCES requests (id),
  reviewer      text NOT NULL,
  decision      text NOT NULL,
  stage         integer NOT NULL,
  used_at       timestamptz NOT NULL DEFAULT now()
);

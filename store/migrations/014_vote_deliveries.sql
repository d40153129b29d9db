-- When the workflow answered an API vote's update (counted it, or refused it). Until then the vote
-- is the API's to deliver again: a vote recorded by the workflow's local activities is not yet in
-- its history, and an update the Temporal server had not accepted is lost with the server
-- (docs/reliability.md). Votes from before this column were all answered or refused.
ALTER TABLE votes ADD COLUMN answered_at timestamptz;
-- The scoped grant asked for with an approval ({uses, for}): made by whoever delivers the vote,
-- once the workflow has counted it, so it is made exactly when the approval counts.
ALTER TABLE votes ADD COLUMN grant_asked jsonb;
UPDATE votes SET answered_at = at WHERE channel = 'api';

-- The API replicas' sweep reads only the few votes still waiting for an answer.
CREATE INDEX votes_unanswered ON votes (at) WHERE channel = 'api' AND answered_at IS NULL AND state <> 'refused';

import type { Pool, PoolClient } from 'pg';
import type { Vote } from '../domain/request';

/**
 * The API's record of a vote it authenticated, written before the vote reaches the workflow, and
 * only while the request waits for approval (one statement: the check and the write). Returns
 * false, writing nothing, when the request is not pending approval.
 */
export async function insertApiVoteIfPending(pool: Pool, requestId: string, vote: Vote): Promise<boolean> {
  const inserted = await pool.query(
    `INSERT INTO votes (id, request_id, reviewer, decision, comment, channel, verified, state, at)
     SELECT $1, id, $3, $4, $5, 'api', true, 'submitted', $6 FROM requests WHERE id = $2 AND status = 'pending_approval'`,
    [vote.id, requestId, vote.reviewer, vote.decision, vote.comment ?? null, vote.at],
  );
  return inserted.rowCount === 1;
}

export async function markVoteRefused(pool: Pool, voteId: string, refusal: string): Promise<void> {
  await pool.query(`UPDATE votes SET state = 'refused', refusal = $2 WHERE id = $1 AND state = 'submitted'`, [voteId, refusal]);
}

/** Ids among `voteIds` that the API never recorded for this request (forged votes). */
export async function findUnrecordedApiVotes(db: Pool | PoolClient, requestId: string, voteIds: string[]): Promise<string[]> {
  const found = await db.query<{ id: string }>(
    `SELECT id FROM votes WHERE request_id = $1 AND channel = 'api' AND verified AND id = ANY($2)`,
    [requestId, voteIds],
  );
  const recorded = new Set(found.rows.map((row) => row.id));
  return voteIds.filter((id) => !recorded.has(id));
}

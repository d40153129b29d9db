import type { Pool, PoolClient } from 'pg';
import type { Vote } from '../domain/request';

/**
 * What the workflow says about an API vote it counted, checked against the API's own record
 * before anything runs. Workflows started before the check compared ids only (a bare string).
 */
export type ApiVoteClaim = string | (Pick<Vote, 'id' | 'reviewer' | 'decision'> & { stage?: number | undefined });

/**
 * The API's record of a vote it authenticated, written before the vote reaches the workflow, and
 * only while the request waits for approval (one statement: the check and the write). The vote's
 * stage is the link's, or else the stage the request waits in. Returns that stage (null for a
 * request recorded before approval chains), or false, writing nothing, when the request is not
 * pending approval.
 */
export async function insertApiVoteIfPending(pool: Pool, requestId: string, vote: Vote): Promise<{ stage: number | null } | false> {
  const inserted = await pool.query<{ stage: number | null }>(
    `INSERT INTO votes (id, request_id, reviewer, decision, comment, channel, verified, state, at, stage)
     SELECT $1, id, $3, $4, $5, 'api', true, 'submitted', $6, COALESCE($7::int, (approval->>'stage')::int)
     FROM requests WHERE id = $2 AND status = 'pending_approval'
     RETURNING stage`,
    [vote.id, requestId, vote.reviewer, vote.decision, vote.comment ?? null, vote.at, vote.stage ?? null],
  );
  return inserted.rowCount === 1 ? { stage: inserted.rows[0]!.stage } : false;
}

export async function markVoteRefused(pool: Pool, voteId: string, refusal: string): Promise<void> {
  await pool.query(`UPDATE votes SET state = 'refused', refusal = $2 WHERE id = $1 AND state = 'submitted'`, [voteId, refusal]);
}

/**
 * The claimed API votes that do not match what the API recorded for this request: an id it never
 * recorded, an id counted twice, or another reviewer, decision or stage than its row (an update
 * sent straight to Temporal reusing a real vote's id). Empty when every claim holds.
 */
export async function findUnrecordedApiVotes(db: Pool | PoolClient, requestId: string, claims: ApiVoteClaim[]): Promise<string[]> {
  const ids = claims.map((claim) => (typeof claim === 'string' ? claim : claim.id));
  const found = await db.query<{ id: string; reviewer: string; decision: string; stage: number | null }>(
    `SELECT id, reviewer, decision, stage FROM votes WHERE request_id = $1 AND channel = 'api' AND verified AND id = ANY($2)`,
    [requestId, ids],
  );
  const recorded = new Map(found.rows.map((row) => [row.id, row]));
  const seen = new Set<string>();
  const forged = new Set<string>();
  for (const claim of claims) {
    const id = typeof claim === 'string' ? claim : claim.id;
    const row = recorded.get(id);
    const differs = typeof claim !== 'string' && row && (row.reviewer !== claim.reviewer || row.decision !== claim.decision || (row.stage !== null && claim.stage !== undefined && row.stage !== claim.stage));
    if (!row || seen.has(id) || differs) forged.add(id);
    seen.add(id);
  }
  return [...forged];
}

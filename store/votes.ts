import type { Pool, PoolClient } from 'pg';
import type { RequestStatus, Vote } from '../domain/request';
import { appendAudit, hasAuditStep } from './audit';
import { inTransaction } from './transaction';

/** The API's record of a vote it authenticated, written before the vote reaches the workflow. */
export async function insertApiVote(pool: Pool, requestId: string, vote: Vote): Promise<void> {
  await pool.query(
    `INSERT INTO votes (id, request_id, reviewer, decision, comment, channel, verified, state, at)
     VALUES ($1, $2, $3, $4, $5, 'api', true, 'submitted', $6)`,
    [vote.id, requestId, vote.reviewer, vote.decision, vote.comment ?? null, vote.at],
  );
}

export async function markVoteRefused(pool: Pool, voteId: string, refusal: string): Promise<void> {
  await pool.query(`UPDATE votes SET state = 'refused', refusal = $2 WHERE id = $1 AND state = 'submitted'`, [voteId, refusal]);
}

export interface CountedVote {
  requestId: string;
  vote: Vote;
  /** Set when this vote decided the stage: the request moves to this status in the same transaction. */
  decidedStatus?: RequestStatus;
}

/** Records a vote the workflow counted (and the decision it caused), idempotently. */
export async function recordCountedVote(pool: Pool, { requestId, vote, decidedStatus }: CountedVote): Promise<void> {
  await inTransaction(pool, async (client) => {
    if (await hasAuditStep(client, requestId, `vote:${vote.id}`)) return;
    if (vote.channel === 'api') {
      await client.query(`UPDATE votes SET state = 'counted', stage = $2, groups = $3 WHERE id = $1`, [vote.id, vote.stage ?? null, vote.groups ?? null]);
    } else {
      await client.query(
        `INSERT INTO votes (id, request_id, reviewer, decision, comment, channel, verified, state, at, stage, groups)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'counted', $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
        [vote.id, requestId, vote.reviewer, vote.decision, vote.comment ?? null, vote.channel, vote.verified, vote.at, vote.stage ?? null, vote.groups ?? null],
      );
    }
    const { id, ...detail } = vote;
    await appendAudit(client, { requestId, step: `vote:${id}`, kind: 'vote', actor: vote.reviewer, detail: { voteId: id, ...detail } });
    if (decidedStatus) {
      await client.query('UPDATE requests SET status = $2, updated_at = now() WHERE id = $1', [requestId, decidedStatus]);
      await appendAudit(client, { requestId, step: `status:${decidedStatus}`, kind: decidedStatus, actor: vote.reviewer, detail: { decidingVote: id } });
    }
  });
}

/** Records a vote the workflow refused (a signal from someone not eligible, say): audited, not counted. */
export async function recordIgnoredVote(pool: Pool, requestId: string, vote: Vote, refusal: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    if (await hasAuditStep(client, requestId, `vote:${vote.id}`)) return;
    const { id, ...detail } = vote;
    await appendAudit(client, { requestId, step: `vote:${id}`, kind: 'vote_ignored', actor: vote.reviewer, detail: { voteId: id, ...detail, refusal } });
  });
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

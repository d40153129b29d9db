import type { Pool } from 'pg';
import type { RequestStatus, Vote } from '../domain/request';
import { auditAppendCall } from './audit';
import { recordTransition } from './requests';
import { inTransaction } from './transaction';

// The workflow's records of the votes it counted or refused, written by local activities that
// may be retried: each vote is written at most once, keyed by its audit step.

export interface CountedVote {
  requestId: string;
  vote: Vote;
  /** Set when this vote decided the stage: the request moves to this status in the same transaction. */
  decidedStatus?: RequestStatus;
}

/** SQL that is true when `step` ($1 request id, $2 step) is not in the audit log yet. */
const NOT_RECORDED = 'NOT EXISTS (SELECT 1 FROM audit_events WHERE request_id = $1 AND step = $2)';

/** Records a vote the workflow counted (and the decision it caused), idempotently. */
export async function recordCountedVote(pool: Pool, { requestId, vote, decidedStatus }: CountedVote): Promise<void> {
  const { id, ...detail } = vote;
  const step = `vote:${id}`;
  // $1 and $2 are the request and the step, from $3 the vote's own values, then the audit row's
  // (last: how many it takes depends on whether the chain is keyed).
  const count =
    vote.channel === 'api'
      ? { sql: `UPDATE votes SET state = 'counted', stage = COALESCE(stage, $4), groups = $5 WHERE id = $3 AND EXISTS (SELECT 1 FROM fresh)`, values: [id, vote.stage ?? null, vote.groups ?? null] }
      : {
          sql: `INSERT INTO votes (id, request_id, reviewer, decision, comment, channel, verified, state, at, stage, groups)
                SELECT $3, $1, $4, $5, $6, $7, $8, 'counted', $9, $10, $11 FROM fresh ON CONFLICT (id) DO NOTHING`,
          values: [id, vote.reviewer, vote.decision, vote.comment ?? null, vote.channel, vote.verified, vote.at, vote.stage ?? null, vote.groups ?? null],
        };
  const audit = auditAppendCall({ requestId, step, kind: 'vote', actor: vote.reviewer, detail: { voteId: id, ...detail } }, 3 + count.values.length);
  await inTransaction(pool, async (client) => {
    // The vote row and its audit row in one statement; a retry finds the step and writes nothing.
    const recorded = await client.query(
      `WITH fresh AS (SELECT 1 WHERE ${NOT_RECORDED}), counted AS (${count.sql})
       SELECT ${audit.call} FROM fresh`,
      [requestId, step, ...count.values, ...audit.values],
    );
    if (recorded.rowCount === 0 || !decidedStatus) return;
    await recordTransition(client, { requestId, step: `status:${decidedStatus}`, status: decidedStatus, actor: vote.reviewer, detail: { decidingVote: id } });
  });
}

/** Records a vote the workflow refused (a signal from someone not eligible, say): audited, not counted. */
export async function recordIgnoredVote(pool: Pool, requestId: string, vote: Vote, refusal: string): Promise<void> {
  const { id, ...detail } = vote;
  const step = `vote:${id}`;
  const audit = auditAppendCall({ requestId, step, kind: 'vote_ignored', actor: vote.reviewer, detail: { voteId: id, ...detail, refusal } }, 3);
  await pool.query(`SELECT ${audit.call} WHERE ${NOT_RECORDED}`, [requestId, step, ...audit.values]);
}

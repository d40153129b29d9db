// The votes table, from both sides: the API records each vote it authenticated before the vote
// reaches the workflow; the workflow's activities record what it counted or refused (idempotent
// per vote, keyed by its audit step); and before execution the two are compared.
import type { Pool, PoolClient } from 'pg';
import type { GrantAsked } from '../domain/grant-asked';
import type { Vote } from '../domain/request';
import type { ApiVoteClaim, Ballot, CountedVote, TransitionBatch } from '../temporal/contract';
import { auditAppendCall } from './audit';
import type { AppliedTransition } from '../domain/request-record';
import { recordTransition } from './requests';
import { inTransaction } from './transaction';

/**
 * The API's record of a vote it authenticated, written before the vote reaches the workflow, and
 * only while the request waits for approval (one statement: the check and the write). The vote's
 * stage is the link's, or else the stage the request waits in; its groups and the grant asked
 * with it are the ballot's, so the vote can be delivered again as it was cast. Returns that stage
 * (null for a request recorded before approval chains), or false, writing nothing, when the request
 * is not pending approval.
 */
export async function insertApiVoteIfPending(
  pool: Pool,
  requestId: string,
  vote: Vote,
  groups: string[],
  grantAsked?: GrantAsked,
): Promise<{ stage: number | null } | false> {
  const inserted = await pool.query<{ stage: number | null }>(
    `INSERT INTO votes (id, request_id, reviewer, decision, comment, channel, verified, state, at, stage, groups, grant_asked)
     SELECT $1, id, $3, $4, $5, 'api', true, 'submitted', $6, COALESCE($7::int, (approval->>'stage')::int), $8, $9
     FROM requests WHERE id = $2 AND status = 'pending_approval'
     RETURNING stage`,
    [
      vote.id,
      requestId,
      vote.reviewer,
      vote.decision,
      vote.comment ?? null,
      vote.at,
      vote.stage ?? null,
      groups,
      grantAsked ?? null,
    ],
  );
  return inserted.rowCount === 1 ? { stage: inserted.rows[0]!.stage } : false;
}

/** The workflow answered the vote's update: it counted the vote (a refusal is `markVoteRefused`). */
export async function markVoteAnswered(pool: Pool, voteId: string): Promise<void> {
  await pool.query('UPDATE votes SET answered_at = now() WHERE id = $1 AND answered_at IS NULL', [voteId]);
}

/**
 * The workflow refused the vote (or ended without it): whatever a local activity may have written
 * ahead of the workflow's history, the vote did not count.
 */
export async function markVoteRefused(pool: Pool, voteId: string, refusal: string): Promise<void> {
  await pool.query(
    `UPDATE votes SET state = 'refused', refusal = $2, answered_at = now() WHERE id = $1 AND answered_at IS NULL`,
    [voteId, refusal],
  );
}

/** An API vote recorded at least `olderThanMs` ago whose workflow has not answered it yet. */
export interface UnansweredApiVote {
  requestId: string;
  ballot: Ballot;
  grantAsked?: GrantAsked;
}

/** The oldest API votes still waiting for their workflow's answer, for delivery again. */
export async function listUnansweredApiVotes(
  pool: Pool,
  olderThanMs: number,
  limit: number,
): Promise<UnansweredApiVote[]> {
  const found = await pool.query<{
    id: string;
    request_id: string;
    reviewer: string;
    decision: Ballot['decision'];
    comment: string | null;
    stage: number | null;
    groups: string[] | null;
    grant_asked: GrantAsked | null;
  }>(
    `SELECT id, request_id, reviewer, decision, comment, stage, groups, grant_asked FROM votes
     WHERE channel = 'api' AND answered_at IS NULL AND state <> 'refused'
       AND at < now() - make_interval(secs => $1::float8 / 1000)
     ORDER BY at LIMIT $2`,
    [olderThanMs, limit],
  );
  return found.rows.map((row) => ({
    requestId: row.request_id,
    ballot: {
      voteId: row.id,
      reviewer: row.reviewer,
      groups: row.groups ?? [],
      decision: row.decision,
      ...(row.comment !== null && { comment: row.comment }),
      ...(row.stage !== null && { stage: row.stage }),
    },
    ...(row.grant_asked !== null && { grantAsked: row.grant_asked }),
  }));
}

/**
 * The claimed API votes that do not match what the API recorded for this request: an id it never
 * recorded, an id counted twice, or another reviewer, decision or stage than its row (an update
 * sent straight to Temporal reusing a real vote's id). Empty when every claim holds.
 */
export async function findUnrecordedApiVotes(
  db: Pool | PoolClient,
  requestId: string,
  claims: ApiVoteClaim[],
): Promise<string[]> {
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
    const differs =
      typeof claim !== 'string' &&
      row &&
      (row.reviewer !== claim.reviewer ||
        row.decision !== claim.decision ||
        (row.stage !== null && claim.stage !== undefined && row.stage !== claim.stage));
    if (!row || seen.has(id) || differs) forged.add(id);
    seen.add(id);
  }
  return [...forged];
}

/** SQL that is true when `step` ($1 request id, $2 step) is not in the audit log yet. */
const NOT_RECORDED = 'NOT EXISTS (SELECT 1 FROM audit_events WHERE request_id = $1 AND step = $2)';

/** Records a vote the workflow counted (and the decision it caused), idempotently. */
export async function recordCountedVote(
  pool: Pool,
  { requestId, vote, decidedStatus }: CountedVote,
): Promise<AppliedTransition | undefined> {
  const { id, ...detail } = vote;
  const step = `vote:${id}`;
  // $1 and $2 are the request and the step, from $3 the vote's own values, then the audit row's
  // (last: how many it takes depends on whether the chain is keyed).
  const count =
    vote.channel === 'api'
      ? {
          sql: `UPDATE votes SET state = 'counted', stage = COALESCE(stage, $4), groups = $5 WHERE id = $3 AND EXISTS (SELECT 1 FROM fresh)`,
          values: [id, vote.stage ?? null, vote.groups ?? null],
        }
      : {
          sql: `INSERT INTO votes (id, request_id, reviewer, decision, comment, channel, verified, state, at, stage, groups)
                SELECT $3, $1, $4, $5, $6, $7, $8, 'counted', $9, $10, $11 FROM fresh ON CONFLICT (id) DO NOTHING`,
          values: [
            id,
            vote.reviewer,
            vote.decision,
            vote.comment ?? null,
            vote.channel,
            vote.verified,
            vote.at,
            vote.stage ?? null,
            vote.groups ?? null,
          ],
        };
  const audit = auditAppendCall(
    { requestId, step, kind: 'vote', actor: vote.reviewer, detail: { voteId: id, ...detail } },
    3 + count.values.length,
  );
  return inTransaction(pool, async (client) => {
    // The vote row and its audit row in one statement; a retry finds the step and writes nothing.
    const recorded = await client.query(
      `WITH fresh AS (SELECT 1 WHERE ${NOT_RECORDED}), counted AS (${count.sql})
       SELECT ${audit.call} FROM fresh`,
      [requestId, step, ...count.values, ...audit.values],
    );
    if (recorded.rowCount === 0 || !decidedStatus) return undefined;
    return recordTransition(client, {
      requestId,
      step: `status:${decidedStatus}`,
      status: decidedStatus,
      actor: vote.reviewer,
      detail: { decidingVote: id },
    });
  });
}

/** Records a vote the workflow refused (a signal from someone not eligible, say): audited, not counted. */
export async function recordIgnoredVote(pool: Pool, requestId: string, vote: Vote, refusal: string): Promise<void> {
  const { id, ...detail } = vote;
  const step = `vote:${id}`;
  const audit = auditAppendCall(
    { requestId, step, kind: 'vote_ignored', actor: vote.reviewer, detail: { voteId: id, ...detail, refusal } },
    3,
  );
  await pool.query(`SELECT ${audit.call} WHERE ${NOT_RECORDED}`, [requestId, step, ...audit.values]);
}

/**
 * Several transitions in one transaction (one write where a step moves a request twice). With
 * `verifyApiVotes`, nothing is recorded unless the API recorded every one of those votes; the
 * ids it did not record are returned (a forged update), and an empty list means recorded.
 */
export async function recordTransitions(
  pool: Pool,
  batch: TransitionBatch,
): Promise<{ unrecordedApiVotes: string[]; applied: AppliedTransition[] }> {
  return inTransaction(pool, async (client) => {
    const expected = batch.verifyApiVotes ?? [];
    const unrecordedApiVotes =
      expected.length > 0 ? await findUnrecordedApiVotes(client, batch.requestId, expected) : [];
    if (unrecordedApiVotes.length > 0) return { unrecordedApiVotes, applied: [] };
    const applied: AppliedTransition[] = [];
    for (const transition of batch.transitions) {
      const written = await recordTransition(client, { ...transition, requestId: batch.requestId });
      if (written) applied.push(written);
    }
    return { unrecordedApiVotes, applied };
  });
}

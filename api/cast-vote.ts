import type { Pool } from 'pg';
import { newVoteId } from '../domain/ids';
import type { Vote, VoteDecision } from '../domain/request';
import type { Principal } from '../config/principals';
import { getRequest } from '../store/requests';
import { insertApiVoteIfPending } from '../store/votes';
import type { GrantAsked } from '../domain/grant-asked';
import { HttpError } from './http-error';
import { checkGrantAsked } from './scoped-grants';
import type { TemporalGateway } from './temporal-gateway';
import { deliverVote } from './vote-deliveries';

/** A reviewer's decision as the API received it (the workflow gets it as a contract `Ballot`). */
export interface VoteToCast {
  requestId: string;
  reviewer: Principal;
  decision: VoteDecision;
  comment?: string;
  /** One-click links are bound to a stage: the workflow refuses them once it escalated. */
  stage?: number;
}

/**
 * Casts an authenticated reviewer's vote (API route or one-click link). The vote row is written
 * before it reaches the workflow, so the workflow can prove the API votes it counted are real,
 * and so a vote Temporal did not take is delivered again (api/vote-deliveries.ts). A scoped grant
 * asked for with an approval is checked against the rule's caps first and made once the vote counted.
 */
export async function castVote(
  pool: Pool,
  temporal: TemporalGateway,
  ballot: VoteToCast,
  grant?: GrantAsked,
): Promise<void> {
  const grantAsked = grant && ballot.decision === 'approve' ? grant : undefined;
  if (grantAsked) {
    // A grant the rule does not allow is refused before anything is recorded: nothing counts.
    const request = await getRequest(pool, ballot.requestId);
    if (request) checkGrantAsked(request, grantAsked);
  }
  const vote: Vote = {
    id: newVoteId(),
    reviewer: ballot.reviewer.id,
    decision: ballot.decision,
    ...(ballot.comment !== undefined && { comment: ballot.comment }),
    channel: 'api',
    verified: true,
    at: new Date().toISOString(),
    ...(ballot.stage !== undefined && { stage: ballot.stage }),
  };
  const recorded = await insertApiVoteIfPending(pool, ballot.requestId, vote, ballot.reviewer.groups, grantAsked);
  if (!recorded) {
    const existing = await getRequest(pool, ballot.requestId);
    if (!existing) throw new HttpError(404, 'not_found', `no request ${ballot.requestId}`);
    throw new HttpError(409, 'NotPending', `the request is ${existing.status}, not pending_approval`);
  }
  await deliverVote(
    pool,
    temporal,
    ballot.requestId,
    {
      voteId: vote.id,
      reviewer: vote.reviewer,
      groups: ballot.reviewer.groups,
      decision: vote.decision,
      ...(vote.comment !== undefined && { comment: vote.comment }),
      // The stage the reviewer saw: if the request escalated since, the workflow refuses (409).
      ...(recorded.stage !== null && { stage: recorded.stage }),
    },
    grantAsked,
  );
}

// Delivering API votes to their workflows. The API records a vote (the votes row) before it sends
// it as the workflow's decide update, and the vote stays the API's to deliver until the workflow
// has answered: an update the Temporal server had not accepted yet is lost with the server, even
// when the workflow's local activities had already written the vote and its outcome to PostgreSQL
// (docs/reliability.md). The update's id is the vote's, so sending a vote again never counts it
// twice: the server hands back the workflow's first answer.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import type { Pool } from 'pg';
import type { Ballot } from '../temporal/contract';
import { listUnansweredApiVotes, markVoteAnswered, markVoteRefused } from '../store/votes';
import type { GrantAsked } from '../domain/grant-asked';
import { HttpError } from './http-error';
import { grantWithCountedApproval } from './scoped-grants';
import { type Sweep, type SweepOptions, startSweep } from './periodic-sweep';
import type { TemporalGateway } from './temporal-gateway';

const NOT_DELIVERED =
  'your vote is recorded, but Temporal has not taken it yet; the gate delivers it as soon as Temporal answers, so do not vote again';

/** True for the answer to a vote that is recorded but not yet taken by Temporal: it will be delivered. */
export function voteAwaitsDelivery(error: unknown): error is HttpError {
  return error instanceof HttpError && error.code === 'vote_not_delivered';
}

/**
 * Sends a recorded API vote to its workflow and records the answer, making the grant asked for
 * with it once it counted. A refusal (409/403) or a failed update is recorded on the vote and
 * rethrown; when Temporal does not answer, the vote is left for the sweep and the caller gets
 * 503 `vote_not_delivered`.
 */
export async function deliverVote(
  pool: Pool,
  temporal: TemporalGateway,
  requestId: string,
  ballot: Ballot,
  grantAsked?: GrantAsked,
): Promise<void> {
  try {
    await temporal.decide(requestId, ballot);
  } catch (error) {
    if (error instanceof HttpError || error instanceof WorkflowUpdateFailedError) {
      await markVoteRefused(pool, ballot.voteId, error.message);
      throw error;
    }
    if (error instanceof WorkflowNotFoundError) {
      const ended = 'the request ended before this vote reached it';
      await markVoteRefused(pool, ballot.voteId, ended);
      throw new HttpError(409, 'NotPending', ended);
    }
    throw new HttpError(503, 'vote_not_delivered', NOT_DELIVERED, {}, error);
  }
  // Before the vote is marked answered: a crash in between makes the sweep deliver it again, and
  // the grant, whose id is the vote's, is made once.
  if (grantAsked) await grantWithCountedApproval(pool, temporal, requestId, ballot, grantAsked);
  await markVoteAnswered(pool, ballot.voteId);
}

/**
 * Every API replica sends the votes still waiting for an answer again, oldest first; one that
 * Temporal does not take ends the sweep until the next one (it is most likely down).
 */
export function startVoteRedelivery(
  { pool, temporal, log }: { pool: Pool; temporal: TemporalGateway; log: FastifyBaseLogger },
  { everyMs = 5_000, graceMs = 15_000 }: SweepOptions = {},
): Sweep {
  return startSweep(everyMs, log, 'the vote redelivery sweep', async () => {
    for (const { requestId, ballot, grantAsked } of await listUnansweredApiVotes(pool, graceMs, 100)) {
      try {
        await deliverVote(pool, temporal, requestId, ballot, grantAsked);
        log.info({ requestId, voteId: ballot.voteId }, 'delivered a vote its workflow had not answered');
      } catch (error) {
        if (voteAwaitsDelivery(error)) return;
        // Refused (recorded on the vote), or a failure after the answer: tried again next time.
        log.warn(
          { requestId, voteId: ballot.voteId, err: { message: (error as Error).message } },
          'a vote delivered again was refused, or what follows its answer failed',
        );
      }
    }
  });
}

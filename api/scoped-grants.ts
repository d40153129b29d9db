// Scoped grants from the API's side: a reviewer's approval that also covers commands of the same
// shape (same agent, target and rule, and a command that differs only in the values of its data:
// ADR 052) for a bounded number of uses and time, within the caps the deciding rule sets. The
// workflow of each later request takes a use (store/grants.ts); a durable timer expires the grant.
import type { Pool } from 'pg';
import { describeCommand, fingerprintCommand } from '../connectors/registry';
import { formatDurationMs, parseDurationMs } from '../domain/duration';
import { grantIdForVote } from '../domain/ids';
import type { RequestRecord } from '../domain/request-record';
import { getGrant, insertGrant } from '../store/grants';
import { getRequest } from '../store/requests';
import { HttpError } from './http-error';
import type { GrantAsked } from '../domain/grant-asked';
import type { TemporalGateway } from './temporal-gateway';

/** The grant a reviewer asks for, checked against the rule before any vote is cast; throws 400 when not allowed. */
export function checkGrantAsked(request: RequestRecord, asked: GrantAsked): number {
  const caps = request.policy?.grant;
  if (!caps)
    throw new HttpError(
      400,
      'grant_not_allowed',
      `rule ${request.policy?.rule ?? '(not decided)'} does not allow grants: approve this request alone`,
    );
  const forMs = parseDurationMs(asked.for)!;
  if (asked.uses > caps.maxUses || forMs > caps.maxForMs)
    throw new HttpError(
      400,
      'grant_not_allowed',
      `rule ${request.policy!.rule} allows grants of at most ${caps.maxUses} uses for ${formatDurationMs(caps.maxForMs)}`,
    );
  return forMs;
}

/**
 * Makes the grant a reviewer asked for with an approval, once the workflow has counted it, and
 * starts its expiry timer. Its id is the vote's, so delivering the vote again makes nothing twice;
 * it does start the timer again, because the delivery before may have stopped between the two.
 */
export async function grantWithCountedApproval(
  pool: Pool,
  temporal: TemporalGateway,
  requestId: string,
  vote: { voteId: string; reviewer: string },
  asked: GrantAsked,
): Promise<void> {
  const request = await getRequest(pool, requestId);
  if (!request) return;
  const grant = await insertGrant(pool, {
    id: grantIdForVote(vote.voteId),
    agent: request.agent,
    target: request.target,
    rule: request.policy!.rule,
    fingerprint: fingerprintCommand(request),
    exampleSql: describeCommand(request),
    maxUses: asked.uses,
    forMs: checkGrantAsked(request, asked),
    grantedBy: vote.reviewer,
    sourceRequest: request.id,
  });
  const made = grant ?? (await getGrant(pool, grantIdForVote(vote.voteId)));
  // Starting the timer is idempotent (one workflow per grant id); an ended grant needs none.
  if (made && !made.revokedAt && !made.expiredAt) await temporal.startGrantExpiry(made.id, made.expiresAt);
}

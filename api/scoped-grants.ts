// Scoped grants from the API's side: a reviewer's approval that also covers commands of the same
// shape (same agent, target and rule, and PostgreSQL's fingerprint of the SQL) for a bounded number
// of uses and time, within the caps the deciding rule sets. The workflow of each later request
// takes a use (store/grants.ts); a durable timer expires the grant.
import type { Pool } from 'pg';
import { describeCommand, fingerprintCommand } from '../connectors/registry';
import { formatDurationMs, parseDurationMs } from '../domain/duration';
import { newGrantId } from '../domain/ids';
import type { RequestRecord } from '../domain/request-record';
import { type Grant, insertGrant } from '../store/grants';
import { getRequest } from '../store/requests';
import { type VoteToCast, castVote } from './cast-vote';
import { HttpError } from './http-error';
import type { GrantAsked } from './schemas';
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

/** Records the grant once its approval counted, and starts its expiry timer. */
export async function createGrant(
  pool: Pool,
  temporal: TemporalGateway,
  request: RequestRecord,
  grantedBy: string,
  asked: GrantAsked,
  forMs: number,
): Promise<Grant> {
  const grant = await insertGrant(pool, {
    id: newGrantId(),
    agent: request.agent,
    target: request.target,
    rule: request.policy!.rule,
    fingerprint: fingerprintCommand(request),
    exampleSql: describeCommand(request),
    maxUses: asked.uses,
    forMs,
    grantedBy,
    sourceRequest: request.id,
  });
  await temporal.startGrantExpiry(grant.id, grant.expiresAt);
  return grant;
}

/**
 * A vote as castVote casts it; an approval with a grant is checked against the rule's caps first
 * (a refused grant counts nothing) and recorded once the vote counted. The API and the inbox use it.
 */
export async function castVoteWithGrant(
  pool: Pool,
  temporal: TemporalGateway,
  ballot: VoteToCast,
  grant: GrantAsked | undefined,
): Promise<void> {
  const record = grant && ballot.decision === 'approve' ? await getRequest(pool, ballot.requestId) : undefined;
  const forMs = grant && record ? checkGrantAsked(record, grant) : undefined;
  await castVote(pool, temporal, ballot);
  if (grant && record && forMs !== undefined)
    await createGrant(pool, temporal, record, ballot.reviewer.id, grant, forMs);
}

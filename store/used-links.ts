import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { VoteDecision } from '../domain/request';

/** What a one-click link decides (its claims, without the expiry). */
export interface LinkDecision {
  requestId: string;
  stage: number;
  reviewer: string;
  decision: VoteDecision;
}

// A link is "used" by its claims (request, stage, reviewer, decision): two spellings of one token,
// or two tokens for one decision, decide once. Only the token's hash is stored: the table never
// holds a usable link.
const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

export async function isLinkUsed(pool: Pool, claims: LinkDecision): Promise<boolean> {
  const found = await pool.query(
    'SELECT 1 FROM used_links WHERE request_id = $1 AND stage = $2 AND reviewer = $3 AND decision = $4',
    [claims.requestId, claims.stage, claims.reviewer, claims.decision],
  );
  return (found.rowCount ?? 0) > 0;
}

/** Marks a link used; false when it already was (a second click, or two at once). */
export async function useLink(pool: Pool, token: string, claims: LinkDecision): Promise<boolean> {
  const inserted = await pool.query(
    `INSERT INTO used_links (token_sha256, request_id, reviewer, decision, stage) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [hashOf(token), claims.requestId, claims.reviewer, claims.decision, claims.stage],
  );
  return (inserted.rowCount ?? 0) > 0;
}

/** Gives a link back when its vote never reached the workflow (Temporal unreachable, say). */
export async function releaseLink(pool: Pool, claims: LinkDecision): Promise<void> {
  await pool.query('DELETE FROM used_links WHERE request_id = $1 AND stage = $2 AND reviewer = $3 AND decision = $4', [
    claims.requestId,
    claims.stage,
    claims.reviewer,
    claims.decision,
  ]);
}

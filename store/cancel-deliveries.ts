// The agents' cancels the API has to deliver: recorded before each is sent to the workflow as its
// cancel update, answered once the workflow has cancelled the request or refused (migration 015).
import type { Pool } from 'pg';

/**
 * Records that the agent asked to cancel the request, before the cancel is sent. Asked again
 * after a refusal (say, while policy was still deciding), it is waiting for an answer again.
 */
export async function recordCancelAsked(pool: Pool, requestId: string, agent: string): Promise<void> {
  await pool.query(
    `INSERT INTO cancel_deliveries (request_id, agent) VALUES ($1, $2)
     ON CONFLICT (request_id) DO UPDATE SET asked_at = now(), answered_at = NULL, refusal = NULL
       WHERE cancel_deliveries.refusal IS NOT NULL`,
    [requestId, agent],
  );
}

/** The workflow answered the cancel: it cancelled the request, or refused (`refusal`) because it had moved on. */
export async function markCancelAnswered(pool: Pool, requestId: string, refusal?: string): Promise<void> {
  await pool.query(
    'UPDATE cancel_deliveries SET answered_at = now(), refusal = $2 WHERE request_id = $1 AND answered_at IS NULL',
    [requestId, refusal ?? null],
  );
}

/** Where the agent's cancel of this request stands: not asked, waiting for the workflow, or answered. */
export async function cancelDelivery(
  pool: Pool,
  requestId: string,
): Promise<'none' | 'unanswered' | 'cancelled' | 'refused'> {
  const found = await pool.query<{ answered: boolean; refused: boolean }>(
    'SELECT answered_at IS NOT NULL AS answered, refusal IS NOT NULL AS refused FROM cancel_deliveries WHERE request_id = $1',
    [requestId],
  );
  const row = found.rows[0];
  if (!row) return 'none';
  return !row.answered ? 'unanswered' : row.refused ? 'refused' : 'cancelled';
}

/** The oldest cancels asked at least `olderThanMs` ago that their workflows have not answered. */
export async function listUnansweredCancels(
  pool: Pool,
  olderThanMs: number,
  limit: number,
): Promise<{ requestId: string; agent: string }[]> {
  const found = await pool.query<{ requestId: string; agent: string }>(
    `SELECT request_id AS "requestId", agent FROM cancel_deliveries
     WHERE answered_at IS NULL AND asked_at < now() - make_interval(secs => $1::float8 / 1000)
     ORDER BY asked_at LIMIT $2`,
    [olderThanMs, limit],
  );
  return found.rows;
}

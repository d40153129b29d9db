// The recorded requests, oldest first, a page at a time: what `policy backtest` replays through a
// new policy. Keyset pagination on (created_at, id), so a page costs the same at any depth and
// memory holds one page.
import type { Pool } from 'pg';
import type { ImpactPreview } from '../domain/impact';
import type { PolicyDecision, PrivilegedRequest } from '../domain/request';

export type RecordedRequest = Pick<
  PrivilegedRequest,
  'id' | 'agent' | 'connector' | 'target' | 'command' | 'reason' | 'metadata'
> & {
  /** What the policy in force decided; null when it never decided (cancelled while evaluating). */
  policy: PolicyDecision | null;
  /** The impact preview it had, if any: a new policy's second pass sees the same. */
  impact: ImpactPreview | null;
  createdAt: Date;
};

export async function countRecordedRequests(pool: Pool, since: Date): Promise<number> {
  const counted = await pool.query<{ count: string }>('SELECT count(*) FROM requests WHERE created_at >= $1', [since]);
  return Number(counted.rows[0]!.count);
}

/** Every request recorded since `since`, in pages of `pageSize`, oldest first. */
export async function* recordedRequestPages(
  pool: Pool,
  since: Date,
  pageSize: number,
): AsyncGenerator<RecordedRequest[]> {
  // The cursor keeps created_at as PostgreSQL's text: a JS Date would cut its microseconds off.
  let after: { at: string; id: string } | undefined;
  for (;;) {
    const page = await pool.query<RecordedRequest & { cursorAt: string }>(
      `SELECT id, agent, connector, target, command, reason, metadata, policy, impact, created_at AS "createdAt",
              created_at::text AS "cursorAt"
         FROM requests
        WHERE created_at >= $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3))
        ORDER BY created_at, id
        LIMIT $4`,
      [since, after?.at ?? null, after?.id ?? null, pageSize],
    );
    if (page.rows.length === 0) return;
    yield page.rows.map(({ cursorAt: _cursorAt, ...request }) => request);
    const last = page.rows.at(-1)!;
    after = { at: last.cursorAt, id: last.id };
    if (page.rows.length < pageSize) return;
  }
}

import type { Pool } from 'pg';
import type { PendingCount } from '../domain/request-record';

/** Requests waiting for reviewers, by stage and age band (since submit), with the oldest's age in each. */
export async function pendingCounts(pool: Pool): Promise<PendingCount[]> {
  const { rows } = await pool.query<{ stage: number; age: PendingCount['age']; count: number; oldest: number }>(
    `SELECT stage, age, count(*)::int AS count, max(seconds)::float8 AS oldest
       FROM (SELECT COALESCE((approval->>'stage')::int, 1) AS stage,
                    extract(epoch FROM now() - created_at) AS seconds
               FROM requests WHERE status = 'pending_approval') pending,
            LATERAL (SELECT CASE WHEN seconds < 900 THEN 'under_15m'
                                 WHEN seconds < 3600 THEN '15m_to_1h'
                                 WHEN seconds < 86400 THEN '1h_to_1d'
                                 ELSE 'over_1d' END AS age) band
      GROUP BY stage, age`,
  );
  return rows.map(({ stage, age, count, oldest }) => ({ stage, age, count, oldestSeconds: oldest }));
}

// Fixed-window hit counters in PostgreSQL (migration 013), so that every API replica counts
// against one limit. One statement per hit: the window restarts when it has ended.
import type { Pool } from 'pg';

export interface WindowCount {
  /** Hits in the current window, this one included. */
  current: number;
  /** Milliseconds until the window ends. */
  ttl: number;
}

export async function countHit(pool: Pool, key: string, windowMs: number): Promise<WindowCount> {
  const counted = await pool.query<{ hits: number; ttl: number }>(
    `INSERT INTO rate_limit_windows AS w (key, hits, resets_at)
     VALUES ($1, 1, clock_timestamp() + $2 * interval '1 millisecond')
     ON CONFLICT (key) DO UPDATE SET
       hits = CASE WHEN w.resets_at <= clock_timestamp() THEN 1 ELSE w.hits + 1 END,
       resets_at = CASE WHEN w.resets_at <= clock_timestamp()
         THEN clock_timestamp() + $2 * interval '1 millisecond' ELSE w.resets_at END
     RETURNING hits, greatest(0, ceil(extract(epoch FROM resets_at - clock_timestamp()) * 1000))::int AS ttl`,
    [key, windowMs],
  );
  return { current: counted.rows[0]!.hits, ttl: counted.rows[0]!.ttl };
}

/** Deletes the rows of windows that have ended; returns how many. */
export async function deleteEndedWindows(pool: Pool): Promise<number> {
  const deleted = await pool.query('DELETE FROM rate_limit_windows WHERE resets_at <= clock_timestamp()');
  return deleted.rowCount ?? 0;
}

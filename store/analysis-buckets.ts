// The analysis budget's buckets in PostgreSQL (migration 017), so that every API replica charges
// one budget per principal. One statement per charge: drain the level for the time since the last
// charge, then add this one.
import type { Pool } from 'pg';

/** Adds `tookMs` to `principal`'s bucket, drained at `drainPerMs` since its last charge; the level after. */
export async function chargeAnalysis(
  pool: Pool,
  principal: string,
  tookMs: number,
  drainPerMs: number,
): Promise<number> {
  const charged = await pool.query<{ level_ms: number }>(
    `INSERT INTO analysis_buckets AS b (principal, level_ms, drained_at)
     VALUES ($1, $2::float8, clock_timestamp())
     ON CONFLICT (principal) DO UPDATE SET
       level_ms = greatest(0, b.level_ms - $3::float8 * 1000 * extract(epoch FROM clock_timestamp() - b.drained_at)) + $2::float8,
       drained_at = clock_timestamp()
     RETURNING level_ms`,
    [principal, tookMs, drainPerMs],
  );
  return charged.rows[0]!.level_ms;
}

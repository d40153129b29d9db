import type { Pool } from 'pg';
import { auditAppendCall } from './audit';
import type { CommandResult } from '../domain/request';

export interface ExecutionRecord {
  status: 'claimed' | 'succeeded' | 'failed';
  result: CommandResult | null;
  error: string | null;
}

/**
 * Writes the claim that must exist before a privileged command starts. Returns the
 * existing record instead when someone claimed it before: the command must not run again.
 */
export async function claimExecution(
  pool: Pool,
  requestId: string,
  executor: string,
  attempt: number,
): Promise<{ claimed: true } | { claimed: false; existing: ExecutionRecord }> {
  const inserted = await pool.query(
    `INSERT INTO executions (request_id, status, executor, attempt) VALUES ($1, 'claimed', $2, $3)
     ON CONFLICT (request_id) DO NOTHING`,
    [requestId, executor, attempt],
  );
  if (inserted.rowCount === 1) return { claimed: true };
  const existing = await findExecution(pool, requestId);
  if (!existing) throw new Error(`execution claim for ${requestId} vanished`);
  return { claimed: false, existing };
}

export async function finishExecution(
  pool: Pool,
  requestId: string,
  outcome: { status: 'succeeded'; result: CommandResult } | { status: 'failed'; error: string },
): Promise<void> {
  await pool.query(
    `UPDATE executions SET status = $2, result = $3, error = $4, finished_at = now() WHERE request_id = $1 AND status = 'claimed'`,
    [
      requestId,
      outcome.status,
      outcome.status === 'succeeded' ? outcome.result : null,
      outcome.status === 'failed' ? outcome.error : null,
    ],
  );
}

export async function findExecution(pool: Pool, requestId: string): Promise<ExecutionRecord | undefined> {
  const found = await pool.query<ExecutionRecord>(
    'SELECT status, result, error FROM executions WHERE request_id = $1',
    [requestId],
  );
  return found.rows[0];
}

/**
 * Audits a command the executor refused to run (not the approved command of an executing
 * request, or handed over by another workflow). Keyed by the activity that asked (`askedBy`: its
 * workflow run and activity id), so a retried refusal is written once and each other try is written.
 */
export async function recordExecutionRefusal(
  pool: Pool,
  requestId: string,
  askedBy: string,
  reason: string,
): Promise<void> {
  const step = `execution_refused:${askedBy}`;
  const audit = auditAppendCall({ requestId, step, kind: 'execution_refused', detail: { reason } }, 3);
  await pool.query(
    `SELECT ${audit.call} WHERE NOT EXISTS (SELECT 1 FROM audit_events WHERE request_id = $1 AND step = $2)`,
    [requestId, step, ...audit.values],
  );
}

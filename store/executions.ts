import type { Pool } from 'pg';
import { auditAppendCall } from './audit';
import { type CommandResult, outcomeRecord } from '../domain/request';
import { type AppliedTransition, recordTransition } from './requests';

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

/**
 * Ends a claimed execution with its outcome, and records that outcome on the request (status,
 * result or error, audit row) in the same statement: the ledger and the request never disagree,
 * and a finished ledger row means the request's outcome is recorded (ADR 027). The ledger row is
 * written even when the request's step was recorded before; returns the transition only when it
 * was written now.
 */
export async function finishExecution(
  pool: Pool,
  requestId: string,
  outcome: { status: 'succeeded'; result: CommandResult } | { status: 'failed'; error: string },
): Promise<AppliedTransition | undefined> {
  return recordTransition(
    pool,
    { requestId, ...outcomeRecord(outcome) },
    (bind) =>
      `UPDATE executions SET status = ${bind(outcome.status)}, result = ${bind(outcome.status === 'succeeded' ? outcome.result : null)},
         error = ${bind(outcome.status === 'failed' ? outcome.error : null)}, finished_at = now()
       WHERE request_id = ${bind(requestId)} AND status = 'claimed' RETURNING request_id`,
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

import type { Pool } from 'pg';
import { auditAppendCall } from './audit';
import { type CommandResult, type RequestStatus, outcomeRecord } from '../domain/request';
import type { LostExecution } from '../temporal/contract';
import type { AppliedTransition } from '../domain/request-record';
import { recordTransition } from './requests';

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

/**
 * Records that the executor refused an executing request's command before running it (a target it
 * does not have, a command its connector will not run), as a finished ledger row with the request's
 * outcome, in one statement, as `finishExecution` does: the request then ends as the ledger holds
 * it, whatever an answer on the executor's queue says (ADR 029). Undefined when someone claimed the
 * command first, or the request's step was recorded before.
 */
export async function refuseExecution(
  pool: Pool,
  requestId: string,
  executor: string,
  attempt: number,
  error: string,
): Promise<AppliedTransition | undefined> {
  return recordTransition(
    pool,
    { requestId, ...outcomeRecord({ status: 'failed', error }) },
    (bind) =>
      `INSERT INTO executions (request_id, status, executor, attempt, error, finished_at)
       VALUES (${bind(requestId)}, 'failed', ${bind(executor)}, ${bind(attempt)}, ${bind(error)}, now())
       ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
  );
}

/**
 * What the ledger says of a request's execution, as its outcome: how an executing request ends,
 * and what a lost execute activity is explained by. `unclaimed`: nothing claimed the command, so it
 * never started. The texts are the gate's own, never an answer's.
 */
export function outcomeInLedger(execution: ExecutionRecord | undefined): LostExecution {
  if (!execution) return { status: 'failed', error: 'the executor failed before running the command', unclaimed: true };
  if (execution.status === 'succeeded' && execution.result) return { status: 'succeeded', result: execution.result };
  if (execution.status === 'failed') return { status: 'failed', error: execution.error ?? 'failed' };
  return {
    status: 'outcome_unknown',
    error: 'the executor was lost after it claimed the command; it may or may not have run',
  };
}

/** The request's status and its ledger row, if any; undefined when no request has this id. */
export async function findRequestExecution(
  pool: Pool,
  requestId: string,
): Promise<{ requestStatus: RequestStatus; execution: ExecutionRecord | undefined } | undefined> {
  const found = await pool.query<{ request_status: RequestStatus } & Partial<ExecutionRecord>>(
    `SELECT r.status AS request_status, e.status, e.result, e.error
     FROM requests r LEFT JOIN executions e ON e.request_id = r.id WHERE r.id = $1`,
    [requestId],
  );
  const row = found.rows[0];
  if (!row) return undefined;
  const { request_status: requestStatus, status, result, error } = row;
  return { requestStatus, execution: status ? { status, result: result ?? null, error: error ?? null } : undefined };
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

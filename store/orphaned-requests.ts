// Requests whose workflow ended before they did: an operator terminated it, it failed, or an answer
// on the executor's queue that said "recorded" ended it (ADR 027's fast path, which anyone with
// namespace access can send, ADR 029). Nothing would ever move such a request again, so the API's
// orphan sweep (api/orphan-sweep.ts) ends it on the records, as the executor's ledger holds it.
import type { Pool } from 'pg';
import { REQUEST_STATUSES, type RequestStatus, isTerminal, outcomeRecord } from '../domain/request';
import { findRequestExecution, outcomeInLedger, refuseExecution } from './executions';
import type { AppliedTransition } from '../domain/request-record';
import { recordTransition } from './requests';

/** What the sweep looks at: a request not in a final status. */
export interface UnfinishedRequest {
  id: string;
  status: RequestStatus;
}

/** Named rather than "not final", so the status index finds them. */
const UNFINISHED_STATUSES = REQUEST_STATUSES.filter((status) => !isTerminal(status));

/** The ledger's executor name on a command the gate closed because its workflow ended. */
const NO_EXECUTOR = 'none: the workflow ended';

/**
 * The next `limit` requests submitted after request `after` (from the first when undefined) that
 * are not in a final status and have not changed for `quietForMs`. Walks the status index: only
 * unfinished rows are read. The position is the request's own (submit time, id) as stored, not a
 * copy in JavaScript, whose dates keep milliseconds where PostgreSQL keeps microseconds.
 */
export async function listUnfinishedRequests(
  pool: Pool,
  { quietForMs, after, limit }: { quietForMs: number; after: string | undefined; limit: number },
): Promise<UnfinishedRequest[]> {
  const found = await pool.query<UnfinishedRequest>(
    `SELECT id, status FROM requests
     WHERE status = ANY($1::text[]) AND updated_at < now() - make_interval(secs => $2 / 1000.0)
       AND ($3::text IS NULL OR (created_at, id) > (SELECT created_at, id FROM requests WHERE id = $3))
     ORDER BY created_at, id LIMIT $4`,
    [UNFINISHED_STATUSES, quietForMs, after ?? null, limit],
  );
  return found.rows;
}

/**
 * Ends a request whose workflow has ended (`workflowStatus`: how, in Temporal's words) as the
 * executor's ledger holds it, in one statement with the ledger:
 * - nothing claimed the command: the ledger is closed on it (a finished, failed row), so no
 *   executor can claim it later, and the request ends `failed`;
 * - an executor claimed it and has not finished: nothing yet, until the longest run
 *   (`longestExecutionMs`) is over; then `outcome_unknown`, as a lost executor is;
 * - the ledger holds its outcome: that outcome.
 * Undefined when nothing was recorded: the request ended, or the ledger moved, in between.
 */
export async function endOrphanedRequest(
  pool: Pool,
  requestId: string,
  workflowStatus: string,
  longestExecutionMs: number,
): Promise<AppliedTransition | undefined> {
  const found = await findRequestExecution(pool, requestId);
  if (!found || isTerminal(found.requestStatus)) return undefined;
  const { execution } = found;
  if (!execution) {
    const error = `the request's workflow ended (${workflowStatus}) before any executor ran the command; it did not run`;
    return refuseExecution(pool, requestId, NO_EXECUTOR, 0, error);
  }
  const { unclaimed: _unclaimed, ...outcome } = outcomeInLedger(execution);
  return recordTransition(
    pool,
    { requestId, ...outcomeRecord(outcome) },
    // Only the ledger row as read: a run that finishes in between is recorded by its executor.
    (bind) =>
      `SELECT 1 FROM executions WHERE request_id = ${bind(requestId)} AND status = ${bind(execution.status)}
         AND (status <> 'claimed' OR claimed_at < now() - make_interval(secs => ${bind(longestExecutionMs)} / 1000.0))`,
  );
}

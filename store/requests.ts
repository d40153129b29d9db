import type { Pool, PoolClient } from 'pg';
import type { ImpactPreview } from '../domain/impact';
import {
  type PolicyDecision,
  type PrivilegedRequest,
  type RequestStatus,
  TERMINAL_STATUSES,
  policyRecordOf,
} from '../domain/request';
import type { AppliedTransition, ApprovalRecord, RequestRecord, VoteView } from '../domain/request-record';
import { type AuditEvent, auditAppendCall } from './audit';
import { recordingPath } from './session-recordings';
import type { Transition } from '../temporal/contract';

interface RequestRow {
  id: string;
  agent: string;
  connector: PrivilegedRequest['connector'];
  target: string;
  command: PrivilegedRequest['command'];
  reason: string;
  metadata: Record<string, string>;
  callback_url: string | null;
  status: RequestStatus;
  policy: RequestRecord['policy'];
  impact: ImpactPreview | null;
  grant_id: string | null;
  approval: (Partial<ApprovalRecord> & Pick<ApprovalRecord, 'groups' | 'quorum' | 'channels' | 'deadline'>) | null;
  result: RequestRecord['result'];
  error: string | null;
  /** A session recording is kept for it (store/session-recordings.ts). */
  has_recording: boolean;
  created_at: Date;
  updated_at: Date;
}

// Rows written before approval chains hold a single stage without its number.
function toApprovalRecord(approval: NonNullable<RequestRow['approval']>): ApprovalRecord {
  return { stage: 1, stageCount: 1, distinctGroups: false, onTimeout: 'reject', ...approval };
}

/** The request as the agent submitted it. */
function toPrivilegedRequest(row: RequestRow): PrivilegedRequest {
  return {
    id: row.id,
    agent: row.agent,
    connector: row.connector,
    target: row.target,
    command: row.command,
    reason: row.reason,
    metadata: row.metadata,
    ...(row.callback_url !== null && { callbackUrl: row.callback_url }),
  };
}

function toRecord(row: RequestRow, votes: VoteView[]): RequestRecord {
  return {
    ...toPrivilegedRequest(row),
    status: row.status,
    callbackUrl: row.callback_url,
    policy: row.policy,
    approval: row.approval && toApprovalRecord(row.approval),
    impact: row.impact,
    grantId: row.grant_id,
    votes,
    result: row.result,
    error: row.error,
    recording: row.has_recording ? recordingPath(row.id) : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Inserts a new request with its audit rows, in one statement (its own transaction), and returns it
 * as stored; undefined when nothing was written: the id exists (an idempotent resubmit), or
 * `waitingBound` was given and the agent already has that many requests waiting. A request goes in
 * as 'evaluating' with its 'submitted' row, or, when policy `allowed` it at submit (ADR 024), as
 * 'executing' with that decision and the rows a workflow would have written: 'submitted',
 * 'status:approved' (automatic) and 'status:executing', in that order.
 */
export async function insertRequest(
  pool: Pool | PoolClient,
  request: PrivilegedRequest,
  allowed?: PolicyDecision,
  waitingBound?: number,
): Promise<RequestRecord | undefined> {
  const policy = allowed && policyRecordOf(allowed);
  const values: unknown[] = [
    request.id,
    request.agent,
    request.connector,
    request.target,
    request.command,
    request.reason,
    request.metadata,
    request.callbackUrl ?? null,
    allowed ? 'executing' : 'evaluating',
    policy ?? null,
  ];
  // The bound is decided in the statement, under a lock per agent (migration 019, ADR 060).
  const bounded = waitingBound === undefined ? '' : `WHERE waiting_place_free($2, $${values.push(waitingBound)})`;
  const audited = (event: Omit<AuditEvent, 'requestId'>) => {
    const audit = auditAppendCall({ requestId: request.id, ...event }, values.length + 1);
    values.push(...audit.values);
    return audit.call;
  };
  const { agent, connector, target, command, reason, metadata } = request;
  const calls = [
    audited({
      step: 'submitted',
      kind: 'submitted',
      actor: agent,
      detail: { connector, target, command, reason, metadata },
    }),
    ...(policy
      ? [
          audited({ step: 'status:approved', kind: 'approved', detail: { policy, automatic: true } }),
          audited({ step: 'status:executing', kind: 'executing', detail: {} }),
        ]
      : []),
  ];
  // One row at most: its select list appends the audit rows left to right, so in chain order.
  const inserted = await pool.query<RequestRow>(
    `WITH inserted AS (
       INSERT INTO requests (id, agent, connector, target, command, reason, metadata, callback_url, status, policy)
       SELECT $1, $2, $3, $4, $5::jsonb, $6, $7::jsonb, $8, $9, $10::jsonb ${bounded}
       ON CONFLICT (id) DO NOTHING RETURNING *
     )
     SELECT inserted.*, ${calls.map((call, index) => `${call} AS audit_seq_${index}`).join(', ')} FROM inserted`,
    values,
  );
  const row = inserted.rows[0];
  return row && toRecord(row, []);
}

/**
 * Records a request that waits for policy's verdict in its workflow, unless its agent already has
 * `maxWaiting` requests waiting (evaluating or pending approval): then 'full', and nothing is
 * recorded. An id already recorded (an idempotent retry) is never 'full': undefined, as from
 * insertRequest. One statement: the bound is decided inside it, under a lock per agent, so
 * concurrent submits cannot pass it together; only a submit that wrote nothing asks why.
 */
export async function insertWaitingRequest(
  pool: Pool,
  request: PrivilegedRequest,
  maxWaiting: number,
): Promise<RequestRecord | undefined | 'full'> {
  const inserted = await insertRequest(pool, request, undefined, maxWaiting);
  if (inserted) return inserted;
  const recorded = await pool.query('SELECT 1 FROM requests WHERE id = $1', [request.id]);
  return recorded.rowCount === 0 ? 'full' : undefined;
}

/**
 * Requests whose workflow may never have started, `olderThanMs` after they were recorded, oldest
 * first: candidates for a (re)start. Those still 'evaluating', and those policy allowed at submit
 * that no executor has claimed yet. A started request stays in that state until a worker moves it
 * on, so some candidates are running already: starting one again finds its workflow.
 */
export async function listUnstartedRequests(pool: Pool, olderThanMs: number, limit: number): Promise<RequestRecord[]> {
  const found = await pool.query<RequestRow>(
    `SELECT * FROM requests
     WHERE status IN ('evaluating', 'executing') AND created_at < now() - make_interval(secs => $1 / 1000.0)
       AND (status = 'evaluating'
            OR (policy->>'effect' = 'allow'
                AND NOT EXISTS (SELECT 1 FROM executions WHERE executions.request_id = requests.id)))
     ORDER BY created_at LIMIT $2`,
    [olderThanMs, limit],
  );
  return found.rows.map((row) => toRecord(row, []));
}

const HAS_RECORDING = 'EXISTS (SELECT 1 FROM session_recordings WHERE request_id = requests.id) AS has_recording';

/** The request with its counted votes, in one query (long-polls read it on every wake-up). */
export async function getRequest(pool: Pool, id: string): Promise<RequestRecord | undefined> {
  return (await getRequests(pool, [id]))[0];
}

/** Requests with their counted votes, in one query, in no particular order; unknown ids are left out. */
export async function getRequests(pool: Pool, ids: readonly string[]): Promise<RequestRecord[]> {
  const found = await pool.query<RequestRow & { counted_votes: (Omit<VoteView, 'at'> & { at: string })[] }>(
    `SELECT requests.*, ${HAS_RECORDING}, COALESCE(counted.votes, '[]') AS counted_votes FROM requests
     LEFT JOIN LATERAL (
       SELECT json_agg(json_build_object('reviewer', reviewer, 'decision', decision, 'comment', comment, 'channel', channel,
                                         'verified', verified, 'at', at, 'stage', COALESCE(stage, 1)) ORDER BY at, id) AS votes
       FROM votes WHERE request_id = requests.id AND state = 'counted'
     ) AS counted ON true
     WHERE id = ANY($1)`,
    [ids],
  );
  // json_build_object renders timestamps in PostgreSQL's format; the API speaks ISO 8601 UTC.
  return found.rows.map((row) =>
    toRecord(
      row,
      row.counted_votes.map((vote) => ({ ...vote, at: new Date(vote.at).toISOString() })),
    ),
  );
}

export interface ListQuery {
  agent?: string;
  status?: RequestStatus;
  limit: number;
  /** The (createdAt, id) of the last row of the previous page. */
  after?: { createdAt: string; id: string };
}

export interface RequestPage {
  records: RequestRecord[];
  /** Requests past this page exist: the next page starts after its last record. */
  more: boolean;
}

/**
 * How many bytes of commands, results, previews and errors one page carries at most (ADR 037). A
 * result alone may be maxResultBytes (up to 10 MB), so `limit` does not bound an answer's size.
 */
export const LIST_PAGE_BYTES = 4 * 1024 * 1024;

// Migration 016 keeps each row's weight; rows recorded before it are weighed as they are read.
const WEIGHT = 'coalesce(large_fields_bytes, request_large_fields_bytes(command, result, impact, error))';

/**
 * Newest first, at most `limit` requests and at most LIST_PAGE_BYTES of their large fields (the
 * first request always comes, whatever it weighs); votes are left empty in lists (GET one request
 * to see them). The page is cut by the stored weights before any large field is read.
 */
export async function listRequests(pool: Pool, query: ListQuery): Promise<RequestPage> {
  const conditions: string[] = [];
  const values: unknown[] = [];
  const bind = (value: unknown) => `$${values.push(value)}`;
  if (query.agent) conditions.push(`agent = ${bind(query.agent)}`);
  if (query.status) conditions.push(`status = ${bind(query.status)}`);
  if (query.after)
    conditions.push(`(created_at, id) < (${bind(query.after.createdAt)}::timestamptz, ${bind(query.after.id)})`);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const newestFirst = 'ORDER BY created_at DESC, id DESC';
  // One more than the page, to know whether more follow; then the running weight of those before each.
  const found = await pool.query<RequestRow & { fetched: string }>(
    `SELECT * FROM (
       SELECT newest.*, count(*) OVER () AS fetched,
              sum(weight) OVER (${newestFirst} ROWS UNBOUNDED PRECEDING) - weight AS weight_before
       FROM (SELECT *, ${HAS_RECORDING}, ${WEIGHT} AS weight FROM requests ${where} ${newestFirst}
             LIMIT ${bind(query.limit + 1)}) AS newest
     ) AS page
     WHERE weight_before < ${bind(LIST_PAGE_BYTES)} ${newestFirst}`,
    values,
  );
  const records = found.rows.slice(0, query.limit).map((row) => toRecord(row, []));
  return { records, more: Number(found.rows[0]?.fetched ?? 0) > records.length };
}

/** The request columns a transition may change: named here, never taken from a transition's keys. */
const CHANGEABLE_COLUMNS = ['policy', 'approval', 'result', 'error'] as const;

/**
 * A data-modifying statement that a transition is recorded together with, in the same statement:
 * the transition is written only when it returns a row. `bind` numbers a parameter.
 */
export type TransitionGuard = (bind: (value: unknown) => string) => string;

/**
 * Moves a request to a new status and appends the audit event, atomically and at most once per
 * step, in one statement: a step already in the audit log means a retry, so the update matches
 * nothing and nothing is audited again. A request in a final status never moves again: a workflow
 * reset to before its rejection (or expiry, or cancel) must not approve it (ADR 029). Pass a client
 * to make it part of a larger transaction, or a `guard` to make it depend on another write in the
 * same statement.
 */
export async function recordTransition(
  db: Pool | PoolClient,
  transition: Transition,
  guard?: TransitionGuard,
): Promise<AppliedTransition | undefined> {
  const values: unknown[] = [];
  const bind = (value: unknown) => `$${values.push(value)}`;
  const id = bind(transition.requestId);
  const unrecorded = `NOT EXISTS (SELECT 1 FROM audit_events WHERE request_id = ${id} AND step = ${bind(transition.step)})`;
  const notFinal = `status <> ALL(${bind(TERMINAL_STATUSES)}::text[])`;
  const changes = transition.changes ?? {};
  const assignments = CHANGEABLE_COLUMNS.filter((column) => column in changes)
    .map((column) => `, ${column} = ${bind(changes[column])}`)
    .join('');
  const status = bind(transition.status);
  const guarded = guard ? `guard AS (${guard(bind)}), ` : '';
  const audit = auditAppendCall(
    {
      requestId: transition.requestId,
      step: transition.step,
      kind: transition.status,
      ...(transition.actor !== undefined && { actor: transition.actor }),
      detail: transition.detail ?? {},
    },
    values.length + 1,
  );
  values.push(...audit.values);
  const applied = await db.query<{ rule: string | null; age: number }>(
    `WITH ${guarded}updated AS (
       UPDATE requests SET status = ${status}, updated_at = now()${assignments}
       WHERE id = ${id} AND ${notFinal} AND ${unrecorded}${guard ? ' AND EXISTS (SELECT 1 FROM guard)' : ''}
       RETURNING policy->>'rule' AS rule, extract(epoch FROM now() - created_at)::float8 AS age
     )
     SELECT ${audit.call}, rule, age FROM updated`,
    values,
  );
  const row = applied.rows[0];
  return row && { status: transition.status, rule: row.rule, secondsSinceSubmit: row.age };
}

/**
 * Records the impact preview on the request, with its audit row, once per request; the status is
 * left alone (a cancel may have been recorded while the preview ran).
 */
export async function recordImpact(pool: Pool, requestId: string, impact: ImpactPreview): Promise<void> {
  const step = 'impact:previewed';
  const { available, exact, rows, seqScan } = impact;
  const audit = auditAppendCall(
    { requestId, step, kind: 'impact_previewed', detail: { available, exact, rows, seqScan } },
    4,
  );
  await pool.query(
    `WITH updated AS (
       UPDATE requests SET impact = $2, updated_at = now()
       WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM audit_events WHERE request_id = $1 AND step = $3)
       RETURNING id
     )
     SELECT ${audit.call} FROM updated`,
    [requestId, impact, step, ...audit.values],
  );
}

/** What policy and grants judge a request by: its row, never a workflow's input (ADR 029). */
export interface RecordedRequest {
  /** The request as its agent submitted it. */
  request: PrivilegedRequest;
  /** The impact preview the executor recorded on it; null when none was. */
  impact: ImpactPreview | null;
}

/** The request and its recorded impact preview; undefined when no request has this id. */
export async function findRecordedRequest(pool: Pool, id: string): Promise<RecordedRequest | undefined> {
  const found = await pool.query<RequestRow>(
    'SELECT id, agent, connector, target, command, reason, metadata, callback_url, impact FROM requests WHERE id = $1',
    [id],
  );
  const row = found.rows[0];
  return row && { request: toPrivilegedRequest(row), impact: row.impact };
}

export interface ApprovedCommand {
  status: RequestStatus;
  connector: string;
  target: string;
  command: PrivilegedRequest['command'];
  /** The preview reviewers saw: a statement may not affect more rows than its dry run counted. */
  impact: ImpactPreview | null;
  /** The deciding rule's `maxRows`: no statement may affect more. */
  maxRows: number | null;
  /** A reviewer approved it, or a grant a reviewer made covers it; false when policy allowed it alone. */
  reviewed: boolean;
}

/** What a request recorded to run, and where it stands: the executor runs only this, only while executing. */
export async function findApprovedCommand(pool: Pool, id: string): Promise<ApprovedCommand | undefined> {
  const found = await pool.query<ApprovedCommand>(
    `SELECT status, connector, target, command, impact,
            (policy->>'maxRows')::int AS "maxRows",
            (policy->>'effect' = 'require_approval' OR grant_id IS NOT NULL) AS reviewed
       FROM requests WHERE id = $1`,
    [id],
  );
  return found.rows[0];
}

/** What a notice may tell of a request (activities/recorded-notices.ts): nothing else goes into one. */
export interface NoticeRecords {
  /** The request as its agent submitted it. */
  request: PrivilegedRequest;
  state: Pick<RequestRecord, 'status' | 'policy' | 'approval' | 'impact' | 'error'>;
  /** The audit row of the step the notice announces, with the approval stage it opened, if any; undefined when it was never recorded. */
  step: { approval: ApprovalRecord | null } | undefined;
}

/** The request's row and its `step`'s audit row (none asked: null), in one query; undefined when no request has this id. */
export async function findNoticeRecords(
  pool: Pool,
  id: string,
  step: string | null,
): Promise<NoticeRecords | undefined> {
  const found = await pool.query<RequestRow & { step_detail: { approval?: RequestRow['approval'] } | null }>(
    `SELECT requests.*, announced.detail AS step_detail FROM requests
       LEFT JOIN audit_events AS announced ON announced.request_id = requests.id AND announced.step = $2
      WHERE requests.id = $1`,
    [id, step],
  );
  const row = found.rows[0];
  if (!row) return undefined;
  const { status, policy, impact, error } = row;
  const stepApproval = row.step_detail?.approval;
  return {
    request: toPrivilegedRequest(row),
    state: { status, policy, approval: row.approval && toApprovalRecord(row.approval), impact, error },
    step: row.step_detail ? { approval: stepApproval ? toApprovalRecord(stepApproval) : null } : undefined,
  };
}

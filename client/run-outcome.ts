// What `run` tells an agent: the masked rows, or why there are none, in terms it can act on.
import type { RequestView } from '../api/schemas';
import { describeResult, isRowsResult, isSshResult, isTerminal } from '../domain/request';

type Result = NonNullable<RequestView['result']>;

export type RunOutcome =
  /** It ran: the rows are masked and capped by the executor. */
  | { outcome: 'succeeded'; requestId: string; request: RequestView; result: Result }
  /** Policy refused it; `reason` is the policy's. */
  | { outcome: 'denied'; requestId: string; request: RequestView; reason: string }
  | { outcome: 'rejected'; requestId: string; request: RequestView; reviewer: string | null; comment: string | null }
  /** Nobody decided before the last approval stage's deadline. */
  | { outcome: 'expired'; requestId: string; request: RequestView }
  | { outcome: 'cancelled'; requestId: string; request: RequestView }
  /** Approved, but running it failed (`error` is scrubbed of credentials), or may have run (`outcome_unknown`). */
  | { outcome: 'failed' | 'outcome_unknown'; requestId: string; request: RequestView; error: string }
  /** The caller's wait ran out first: the request goes on, and `waitFor(requestId)` picks it up. */
  | {
      outcome: 'pending';
      requestId: string;
      request: RequestView;
      eligibleReviewers: string[];
      deadline: string | null;
    };

export type RunOutcomeName = RunOutcome['outcome'];

/** The outcome a request view stands for (pending unless its status is final). */
export function outcomeOf(request: RequestView): RunOutcome {
  const requestId = request.id;
  if (!isTerminal(request.status)) {
    return {
      outcome: 'pending',
      requestId,
      request,
      eligibleReviewers: request.approval?.eligibleReviewers ?? [],
      deadline: request.approval?.deadline ?? null,
    };
  }
  switch (request.status) {
    case 'succeeded':
      return {
        outcome: 'succeeded',
        requestId,
        request,
        result: request.result ?? { rowCount: 0, rows: [], truncated: false },
      };
    case 'denied':
      return {
        outcome: 'denied',
        requestId,
        request,
        reason: request.policy?.reason ?? request.policy?.explanation ?? 'denied by policy',
      };
    case 'rejected': {
      const veto = request.votes.find((vote) => vote.decision === 'reject');
      return {
        outcome: 'rejected',
        requestId,
        request,
        reviewer: veto?.reviewer ?? null,
        comment: veto?.comment ?? null,
      };
    }
    case 'failed':
    case 'outcome_unknown':
      return { outcome: request.status, requestId, request, error: request.error ?? request.status };
    case 'expired':
    case 'cancelled':
      return { outcome: request.status, requestId, request };
    default:
      throw new Error(`request ${requestId} has final status ${request.status}, which no outcome names`);
  }
}

/** One sentence for a person or a model: what happened, or whom it waits for and until when. */
export function describeOutcome(outcome: RunOutcome): string {
  const id = outcome.requestId;
  switch (outcome.outcome) {
    case 'succeeded': {
      const result = outcome.result;
      if (isSshResult(result))
        return `request ${id} ran: ${describeResult(result)}${result.truncated ? " (the output was cut at the target's maxOutputBytes)" : ''}`;
      if (!isRowsResult(result))
        return `request ${id} ran: HTTP ${result.status}${result.truncated ? " (the body was cut at the target's maxResponseBytes)" : ''}`;
      const { rowCount, truncated } = result;
      return `request ${id} ran: ${rowCount} row${rowCount === 1 ? '' : 's'}${truncated ? " (truncated by the target's maxRows)" : ''}`;
    }
    case 'denied':
      return `request ${id} was denied by policy: ${outcome.reason}`;
    case 'rejected':
      return `request ${id} was rejected${outcome.reviewer ? ` by ${outcome.reviewer}` : ''}${outcome.comment ? `: ${outcome.comment}` : ''}`;
    case 'expired':
      return `request ${id} expired: nobody approved it before the deadline`;
    case 'cancelled':
      return `request ${id} was cancelled`;
    case 'failed':
      return `request ${id} was approved but failed: ${outcome.error}`;
    case 'outcome_unknown':
      return `request ${id} was approved, but whether it ran is unknown: ${outcome.error}`;
    case 'pending': {
      const who = outcome.eligibleReviewers.length > 0 ? outcome.eligibleReviewers.join(', ') : 'a reviewer';
      const approval = outcome.request.approval;
      const quorum = approval
        ? ` (${approval.quorum} of ${approval.groups.join('/')}, stage ${approval.stage} of ${approval.stageCount})`
        : '';
      const deadline = outcome.deadline ? `, deadline ${outcome.deadline}` : '';
      return outcome.request.status === 'pending_approval'
        ? `request ${id} is waiting for approval by ${who}${quorum}${deadline}; wait for it again with its request id`
        : `request ${id} is ${outcome.request.status.replace('_', ' ')}; wait for it again with its request id`;
    }
  }
}

/** What the model reads of a result: the rows, an HTTP call's status and body, or a program's exit and output. */
function resultForModel(result: Result) {
  if (isSshResult(result)) {
    const { exitCode, signal, stdout, stderr, truncated } = result;
    return { exitCode, signal, stdout, stderr, truncated };
  }
  return isRowsResult(result)
    ? { rows: result.rows, truncated: result.truncated }
    : { httpStatus: result.status, body: result.body, truncated: result.truncated };
}

/** What a framework tool hands the model: the outcome, its sentence, and the rows (or body) when it ran. */
export function outcomeForModel(outcome: RunOutcome) {
  return {
    outcome: outcome.outcome,
    requestId: outcome.requestId,
    message: describeOutcome(outcome),
    ...(outcome.outcome === 'succeeded' && resultForModel(outcome.result)),
  };
}

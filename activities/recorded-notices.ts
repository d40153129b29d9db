// A notice tells what the records hold, and only of what happened (ADR 028). The notify activities
// are remote (they retry with backoff), so anyone with Temporal namespace access can schedule them
// under a request's free id with input of their own. Of that input only the request id, the event
// and the stage are read; the command, reason, policy, approval, impact, status, error and callback
// URL come from the records, and a stage or verdict the records do not hold is refused. A late
// retry of a true notice reads the same records and says the same.
import { isTerminal } from '../domain/request';
import type { NoticeRecords } from '../store/requests';
import { type AgentNotice, REVIEWER_EVENTS, type ReviewerEvent, type ReviewerNotice } from '../temporal/contract';

export type FromRecords<Notice> = { notice: Notice } | { refusal: string };

/** The events that open a stage (and carry one-click links); the others tell a verdict. */
export const opensStage = (event: ReviewerEvent): boolean => event === 'approval_requested' || event === 'escalated';

/** The audit step a reviewer notice announces: the stage it opened, or the verdict. */
export function announcedStep(event: ReviewerEvent, stage: number): string {
  if (event === 'approval_requested') return 'status:pending_approval';
  if (event === 'escalated') return `escalated:${stage}`;
  return `status:${event}`;
}

/** Why `event` at `stage` is not a reviewer notice at all, or undefined. */
export function notAReviewerNotice(event: unknown, stage: unknown): string | undefined {
  if (!REVIEWER_EVENTS.includes(event as ReviewerEvent)) return `${String(event)} is not a reviewer event`;
  if (!Number.isSafeInteger(stage) || (stage as number) < 1) return `${String(stage)} is not a stage number`;
  return undefined;
}

/** The reviewer notice of `event` at `stage` (the stage matters for `escalated` only), as recorded. */
export function reviewerNoticeFromRecords(
  requestId: string,
  event: ReviewerEvent,
  stage: number,
  records: NoticeRecords | undefined,
): FromRecords<ReviewerNotice> {
  const step = announcedStep(event, stage);
  if (!records) return { refusal: `${requestId} is not a recorded request` };
  if (!records.step) return { refusal: `the records of ${requestId} hold no ${step}` };
  const { request, state } = records;
  // The stage as it opened (a late retry tells of that stage, not of the one open now); a verdict
  // ends the stage on the record.
  const approval = opensStage(event) ? records.step.approval : state.approval;
  if (!approval || !state.policy) return { refusal: `the records of ${requestId} hold no approval for ${step}` };
  const { rule, risk, explanation, grant } = state.policy;
  return {
    notice: {
      event,
      request,
      policy: { rule, risk, explanation, ...(grant && { grant }) },
      approval,
      ...(state.impact && { impact: state.impact }),
    },
  };
}

/** The agent's callback: once the request has ended, to the URL it was submitted with. */
export function agentNoticeFromRecords(
  requestId: string,
  records: NoticeRecords | undefined,
): FromRecords<AgentNotice> {
  if (!records) return { refusal: `${requestId} is not a recorded request` };
  const { request, state } = records;
  if (!isTerminal(state.status)) return { refusal: `${requestId} has not ended (it is ${state.status})` };
  if (!request.callbackUrl) return { refusal: `${requestId} was submitted without a callback URL` };
  return {
    notice: {
      requestId,
      callbackUrl: request.callbackUrl,
      status: state.status,
      ...(state.error !== null && { error: state.error }),
    },
  };
}

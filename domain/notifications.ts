// What the workflow asks the notify activities to tell reviewers and agents. Imported by
// workflow code, so it must stay free of Node built-ins.
import type { ApprovalProgress, PolicyDecision, PrivilegedRequest, RequestStatus } from './request';

/** Moments reviewers hear about: a stage opens, the request escalates, is decided or expires. */
export const REVIEWER_EVENTS = ['approval_requested', 'escalated', 'approved', 'rejected', 'expired', 'cancelled'] as const;
export type ReviewerEvent = (typeof REVIEWER_EVENTS)[number];

export interface ReviewerNotice {
  event: ReviewerEvent;
  request: PrivilegedRequest;
  policy: Pick<PolicyDecision, 'rule' | 'risk' | 'explanation'>;
  approval: ApprovalProgress;
}

/** Told to the agent's callback URL once, when the request ends. */
export interface AgentNotice {
  requestId: string;
  callbackUrl: string;
  status: RequestStatus;
  error?: string;
}

/**
 * Delivery attempts per notice, with exponential backoff from 1 s (1 + 2 + 4 s of waiting). The
 * last attempt records what still failed instead of throwing, so a dead webhook never fails the request.
 */
export const NOTIFY_MAX_ATTEMPTS = 4;

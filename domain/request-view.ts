import type { PolicyDecision, PostgresResult, PrivilegedRequest, RequestStatus, Risk, Vote, VoteChannel, VoteDecision } from './request';

/** A request as the API returns it and as the requests table stores it. */
export interface RequestView extends Omit<PrivilegedRequest, 'id'> {
  id: string;
  status: RequestStatus;
  policy: Pick<PolicyDecision, 'effect' | 'rule' | 'explanation' | 'version'> & { reason?: string; risk?: Risk } | null;
  approval: ApprovalView | null;
  votes: VoteView[];
  result: PostgresResult | null;
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ApprovalView {
  groups: string[];
  quorum: number;
  channels: VoteChannel[];
  deadline: string;
}

export interface VoteView {
  reviewer: string;
  decision: VoteDecision;
  comment: string | null;
  channel: VoteChannel;
  verified: boolean;
  at: string;
}

export function toVoteView(vote: Vote): VoteView {
  return { reviewer: vote.reviewer, decision: vote.decision, comment: vote.comment ?? null, channel: vote.channel, verified: vote.verified, at: vote.at };
}

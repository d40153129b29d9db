// The one decision function: every vote, whichever channel it came from, is checked and
// counted here. Pure, so the workflow and its tests share it.
import type { ApprovalStage, RequestStatus, Vote, VoteChannel } from '../domain/request';
import type { RefusalType } from './messages';

export interface Refusal {
  type: RefusalType;
  message: string;
}

export interface VoteContext {
  requester: string;
  stage: ApprovalStage;
  votes: Vote[];
  /** False once a verdict is reached: later votes are refused. */
  open: boolean;
}

export interface Voter {
  reviewer: string;
  groups: string[];
  channel: VoteChannel;
}

export function refuseVote(context: VoteContext, voter: Voter): Refusal | undefined {
  if (!context.open) return { type: 'NotPending', message: 'the request is no longer waiting for approval' };
  if (voter.reviewer === context.requester) {
    return { type: 'SelfApproval', message: 'nobody may vote on their own request' };
  }
  if (!context.stage.channels.includes(voter.channel)) {
    return { type: 'ChannelNotAllowed', message: `votes through ${voter.channel} do not count for this approval stage` };
  }
  if (!voter.groups.some((group) => context.stage.groups.includes(group))) {
    return { type: 'NotEligible', message: `only members of ${context.stage.groups.join(', ')} may decide this request` };
  }
  if (context.votes.some((vote) => vote.reviewer === voter.reviewer)) {
    return { type: 'AlreadyVoted', message: `${voter.reviewer} has already voted on this request` };
  }
  return undefined;
}

/** The verdict the votes so far reach: one reject vetoes; `quorum` distinct approvers approve. */
export function tally(stage: ApprovalStage, votes: Vote[]): Extract<RequestStatus, 'approved' | 'rejected'> | undefined {
  if (votes.some((vote) => vote.decision === 'reject')) return 'rejected';
  const approvers = new Set(votes.filter((vote) => vote.decision === 'approve').map((vote) => vote.reviewer));
  return approvers.size >= stage.quorum ? 'approved' : undefined;
}

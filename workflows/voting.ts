// The one decision function: every vote, whichever channel it came from, is checked and
// counted here. Pure, so the workflow and its tests share it.
import type { ApprovalStage, RequestStatus, Vote, VoteChannel, VoteDecision } from '../domain/request';
import type { RefusalType } from '../domain/refusals';

export interface Refusal {
  type: RefusalType;
  message: string;
}

export interface VoteContext {
  requester: string;
  stage: ApprovalStage;
  /** 1-based number of the stage now open. */
  stageNumber: number;
  /** Every vote counted so far, in all stages. */
  votes: Vote[];
  /** False once a verdict is reached: later votes are refused. */
  open: boolean;
}

export interface Voter {
  reviewer: string;
  groups: string[];
  channel: VoteChannel;
}

/** The voter's groups that count in this stage. */
export function eligibleGroups(stage: ApprovalStage, voter: Pick<Voter, 'groups'>): string[] {
  return voter.groups.filter((group) => stage.groups.includes(group));
}

export function refuseVote(
  context: VoteContext,
  voter: Voter,
  decision: VoteDecision,
  stageOfBallot?: number,
): Refusal | undefined {
  if (!context.open) return { type: 'NotPending', message: 'the request is no longer waiting for approval' };
  if (stageOfBallot !== undefined && stageOfBallot !== context.stageNumber) {
    return {
      type: 'StageChanged',
      message: `this vote was for approval stage ${stageOfBallot}, but the request is now in stage ${context.stageNumber}`,
    };
  }
  if (voter.reviewer === context.requester) {
    return { type: 'SelfApproval', message: 'nobody may vote on their own request' };
  }
  if (!context.stage.channels.includes(voter.channel)) {
    return {
      type: 'ChannelNotAllowed',
      message: `votes through ${voter.channel} do not count in approval stage ${context.stageNumber}`,
    };
  }
  const groups = eligibleGroups(context.stage, voter);
  if (groups.length === 0) {
    return {
      type: 'NotEligible',
      message: `only members of ${context.stage.groups.join(', ')} may decide in approval stage ${context.stageNumber}`,
    };
  }
  if (context.votes.some((vote) => vote.reviewer === voter.reviewer)) {
    return { type: 'AlreadyVoted', message: `${voter.reviewer} has already voted on this request` };
  }
  if (decision === 'approve' && context.stage.distinctGroups) {
    const approvals = stageApprovals(context.votes, context.stageNumber);
    const groupSets = approvals.map((vote) => vote.groups ?? []);
    if (distinctGroupCount([...groupSets, groups]) === distinctGroupCount(groupSets)) {
      return {
        type: 'GroupAlreadyCounted',
        message: `approvers must come from different groups, and ${groups.join(', ')} already approved`,
      };
    }
  }
  return undefined;
}

/** The verdict the stage's votes reach: one reject vetoes; `quorum` distinct approvers approve. */
export function tally(
  stage: ApprovalStage,
  stageNumber: number,
  votes: Vote[],
): Extract<RequestStatus, 'approved' | 'rejected'> | undefined {
  if (votes.some((vote) => vote.decision === 'reject')) return 'rejected';
  const approvals = stageApprovals(votes, stageNumber);
  const approvers = stage.distinctGroups
    ? distinctGroupCount(approvals.map((vote) => vote.groups ?? []))
    : new Set(approvals.map((vote) => vote.reviewer)).size;
  return approvers >= stage.quorum ? 'approved' : undefined;
}

// Votes recorded before chains carry no stage: they belong to the only stage there was.
function stageApprovals(votes: Vote[], stageNumber: number): Vote[] {
  return votes.filter((vote) => vote.decision === 'approve' && (vote.stage ?? 1) === stageNumber);
}

/**
 * How many approvers can each stand for a different group: a maximum bipartite matching of
 * approvers to their groups (augmenting paths; a stage has a handful of each). Someone in both
 * dba and sre still pairs with a dba-only colleague.
 */
export function distinctGroupCount(approverGroups: string[][]): number {
  const holder = new Map<string, number>();
  const assign = (approver: number, seen: Set<string>): boolean => {
    for (const group of approverGroups[approver]!) {
      if (seen.has(group)) continue;
      seen.add(group);
      const current = holder.get(group);
      if (current === undefined || assign(current, seen)) {
        holder.set(group, approver);
        return true;
      }
    }
    return false;
  };
  return approverGroups.reduce((count, _groups, approver) => count + (assign(approver, new Set()) ? 1 : 0), 0);
}

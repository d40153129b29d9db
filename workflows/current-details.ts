// What the Temporal Web UI shows as the request's current details (the workflow's user metadata):
// where it stands and what it waits for, in words a reviewer reads without opening the history.
import type { RequestSnapshot } from '../temporal/contract';

export function describeCurrentState(state: RequestSnapshot): string {
  const lines = [`**Status:** ${state.status.replace('_', ' ')}`];
  const approval = state.approval;
  if (approval && state.status === 'pending_approval') {
    const from = approval.groups.join(', ');
    lines.push(
      `**Waiting for:** ${approval.quorum} approval${approval.quorum === 1 ? '' : 's'} from ${from}` +
        `${approval.distinctGroups ? ' (distinct groups)' : ''}, stage ${approval.stage} of ${approval.stageCount}`,
      `**Deadline:** ${approval.deadline} (then ${approval.onTimeout})`,
      approval.channels.includes('temporal')
        ? '**To vote here:** More Actions → Send a Signal → approve or reject, with data {"reviewer": "your id", "comment": "why"}'
        : '**To vote:** through the API (this stage does not count Temporal signals)',
    );
  }
  const votes = state.votes.filter((vote) => vote.stage === undefined || vote.stage === approval?.stage);
  if (votes.length > 0)
    lines.push(
      `**Votes:** ${votes.map((vote) => `${vote.reviewer} ${vote.decision === 'approve' ? 'approved' : 'rejected'} (${vote.channel})`).join('; ')}`,
    );
  if (state.error) lines.push(`**Error:** ${state.error}`);
  return lines.join('\n\n');
}

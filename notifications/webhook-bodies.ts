// The two webhook bodies: a documented JSON body, and a Slack incoming-webhook body
// (`text` + Block Kit `blocks`). Both carry the same facts; the README documents the JSON one.
import { formatDurationMs } from '../domain/duration';
import { type ImpactPreview, describeImpact } from '../domain/impact';
import type { ReviewerEvent, ReviewerNotice } from '../temporal/contract';
import type { Command, Connector } from '../domain/request';
import { describeCommand } from '../connectors/registry';
import { showHiddenCharacters } from '../domain/text';

export interface ReviewerLinks {
  reviewer: string;
  approve: string;
  reject: string;
}

export interface ReviewerMessage {
  event: ReviewerEvent;
  summary: string;
  request: {
    id: string;
    agent: string;
    connector: Connector;
    target: string;
    command: Command;
    reason: string;
    url: string;
  };
  /** `grant`: the rule lets the approving reviewer also approve commands of this shape, within these caps. */
  policy: {
    rule: string;
    risk: string | null;
    explanation: string;
    grant: { maxUses: number; maxForMs: number } | null;
  };
  approval: ReviewerNotice['approval'];
  /** What the command would change, as the executor previewed it (with `summary`, one line); null without a preview. */
  impact: (ImpactPreview & { summary: string }) | null;
  /** One-click links for each eligible reviewer; only while a stage is open. */
  links: ReviewerLinks[];
}

const HEADLINES: Record<ReviewerEvent, string> = {
  approval_requested: 'Approval needed',
  escalated: 'Escalated: approval needed',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired without a decision',
  cancelled: 'Cancelled by the agent',
};

function summaryOf({ event, request, approval }: ReviewerNotice): string {
  const what = `${request.agent} asks to run a ${request.connector} command on ${request.target}`;
  const need = `${approval.quorum} approval(s) from ${approval.groups.join(' or ')}${approval.distinctGroups ? ' (different groups)' : ''}`;
  const stage = approval.stageCount > 1 ? ` (stage ${approval.stage} of ${approval.stageCount})` : '';
  if (event === 'approval_requested' || event === 'escalated')
    return `${HEADLINES[event]}: ${what}; needs ${need}${stage} by ${approval.deadline}`;
  return `${HEADLINES[event]}: ${request.id} (${what})`;
}

export function reviewerMessage(notice: ReviewerNotice, requestUrl: string, links: ReviewerLinks[]): ReviewerMessage {
  const { request, policy } = notice;
  return {
    event: notice.event,
    summary: summaryOf(notice),
    request: {
      id: request.id,
      agent: request.agent,
      connector: request.connector,
      target: request.target,
      command: request.command,
      reason: request.reason,
      url: requestUrl,
    },
    policy: {
      rule: policy.rule,
      risk: policy.risk ?? null,
      explanation: policy.explanation,
      grant: policy.grant ?? null,
    },
    approval: notice.approval,
    impact: notice.impact ? { ...notice.impact, summary: describeImpact(notice.impact) } : null,
    links,
  };
}

// Slack mrkdwn needs only these three escaped, and the characters that print as nothing or
// reorder text shown (domain/text.ts); a section's text is capped at 3,000 characters.
export const slackEscape = (text: string) =>
  showHiddenCharacters(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
export const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** What a Slack button carries back: the request and the stage it was shown for (a later stage refuses it). */
export const SLACK_ACTIONS = { approve: 'gate_approve', reject: 'gate_reject', grant: 'gate_grant' } as const;
export const slackActionValue = (requestId: string, stage: number) => `${requestId}:${stage}`;

export function slackBody(message: ReviewerMessage, { interactive = false }: { interactive?: boolean } = {}) {
  const { request, policy, approval } = message;
  const field = (label: string, value: string) => ({ type: 'mrkdwn', text: `*${label}*\n${slackEscape(value)}` });
  const blocks: unknown[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: clip(`${HEADLINES[message.event]}: ${request.connector} on ${request.target}`, 150),
      },
    },
    {
      type: 'section',
      fields: [
        field('Agent', request.agent),
        field('Target', request.target),
        field('Risk', policy.risk ?? 'not set'),
        field('Policy rule', policy.rule),
        field(
          'Stage',
          `${approval.stage} of ${approval.stageCount}: ${approval.quorum} from ${approval.groups.join(', ')}`,
        ),
        field('Deadline', approval.deadline),
        ...(message.impact ? [field('Impact', message.impact.summary)] : []),
        ...(policy.grant
          ? [
              field(
                'Scoped grant',
                `allowed: up to ${policy.grant.maxUses} uses for ${formatDurationMs(policy.grant.maxForMs)}`,
              ),
            ]
          : []),
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: clip(`*Reason*\n${slackEscape(request.reason)}`, 3000) } },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`*Command*\n\`\`\`${slackEscape(describeCommand(request))}\`\`\``, 3000) },
    },
  ];
  if (message.links.length > 0) {
    const lines = message.links.map(
      (link) => `*${slackEscape(link.reviewer)}*: <${link.approve}|Approve> · <${link.reject}|Reject>`,
    );
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`*Decide in one click* (each link is personal)\n${lines.join('\n')}`, 3000) },
    });
  }
  const open = message.event === 'approval_requested' || message.event === 'escalated';
  if (interactive && open) {
    const value = slackActionValue(request.id, approval.stage);
    blocks.push({
      type: 'actions',
      block_id: 'gate_decision',
      elements: [
        {
          type: 'button',
          action_id: SLACK_ACTIONS.approve,
          style: 'primary',
          value,
          text: { type: 'plain_text', text: 'Approve' },
        },
        {
          type: 'button',
          action_id: SLACK_ACTIONS.reject,
          style: 'danger',
          value,
          text: { type: 'plain_text', text: 'Reject…' },
        },
        // Where the rule allows it: approve, and the same for commands of this shape for a while.
        ...(policy.grant
          ? [
              {
                type: 'button',
                action_id: SLACK_ACTIONS.grant,
                value,
                text: { type: 'plain_text', text: 'Approve with grant…' },
              },
            ]
          : []),
      ],
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${request.id} · <${request.url}|API>` }] });
  return { text: message.summary, blocks };
}

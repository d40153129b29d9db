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
  /** One-click links for each eligible reviewer: only while a stage is open, and only to a webhook with personalLinks. */
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

/** Slack caps a section's text at 3,000 characters. */
const SLACK_SECTION_CHARS = 3_000;

/**
 * The command as a Slack section shows it, in a code block, and whether that is the command whole
 * and as written. It is not when it is longer than a section holds (Slack would show the first
 * part), or when it holds a fence (three backquotes) that would end the code block early and let
 * the rest read as formatting (`~struck through~`). Such a command is not shown at all, and a
 * reviewer does not approve it in Slack: they read it whole in the inbox and decide there (ADR 053).
 */
export function slackCommandSection(command: string): { text: string; whole: boolean } {
  const escaped = slackEscape(command);
  const text = `*Command*\n\`\`\`${escaped}\`\`\``;
  const why = escaped.includes('```')
    ? 'it holds three backquotes in a row, which Slack would read as the end of the code block'
    : text.length > SLACK_SECTION_CHARS
      ? `it takes ${escaped.length.toLocaleString('en-US')} characters to show, more than a Slack message section holds`
      : undefined;
  if (!why) return { text, whole: true };
  return {
    text: `*Command*\nNot shown here: ${why}. Read it whole in the inbox and decide there: Slack offers no Approve for a command it cannot show.`,
    whole: false,
  };
}

/**
 * The agent's reason as plain text under its label: mrkdwn would let the agent's own emphasis,
 * quotes, code blocks and strikes read as the gate's (a fake `*Risk*` field, a struck-through line).
 */
export const slackReasonBlocks = (reason: string) => [
  { type: 'section', text: { type: 'mrkdwn', text: '*Reason*' } },
  {
    type: 'section',
    text: { type: 'plain_text', text: clip(showHiddenCharacters(reason), SLACK_SECTION_CHARS), emoji: false },
  },
];

/** What a Slack button carries back: the request and the stage it was shown for (a later stage refuses it). */
export const SLACK_ACTIONS = { approve: 'gate_approve', reject: 'gate_reject', grant: 'gate_grant' } as const;
export const slackActionValue = (requestId: string, stage: number) => `${requestId}:${stage}`;

export function slackBody(message: ReviewerMessage, { interactive = false }: { interactive?: boolean } = {}) {
  const { request, policy, approval } = message;
  const command = slackCommandSection(describeCommand(request));
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
    ...slackReasonBlocks(request.reason),
    { type: 'section', text: { type: 'mrkdwn', text: command.text } },
  ];
  const open = message.event === 'approval_requested' || message.event === 'escalated';
  if (interactive && open) {
    const value = slackActionValue(request.id, approval.stage);
    blocks.push({
      type: 'actions',
      block_id: 'gate_decision',
      elements: [
        // Approve only what the message showed whole; rejecting an unread command is safe.
        ...(command.whole
          ? [
              {
                type: 'button',
                action_id: SLACK_ACTIONS.approve,
                style: 'primary',
                value,
                text: { type: 'plain_text', text: 'Approve' },
              },
            ]
          : []),
        {
          type: 'button',
          action_id: SLACK_ACTIONS.reject,
          style: 'danger',
          value,
          text: { type: 'plain_text', text: 'Reject…' },
        },
        // Where the rule allows it: approve, and the same for commands of this shape for a while.
        ...(policy.grant && command.whole
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

// What the gate sends back to Slack after a button: the channel message rewritten with who
// decided and where the request stands (through the interaction's response_url), the dialog that
// asks a rejecting reviewer why, and the one that takes a scoped grant's uses and duration.
import type { RequestRecord } from '../domain/request-record';
import { formatDurationMs } from '../domain/duration';
import { describeResult } from '../domain/request';
import { clip, slackCommandSection, slackEscape, slackReasonBlocks } from './webhook-bodies';
import { describeCommand } from '../connectors/registry';

const STATUS_WORDS: Record<RequestRecord['status'], string> = {
  evaluating: 'Being evaluated',
  pending_approval: 'Waiting for approval',
  denied: 'Denied by policy',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired without a decision',
  cancelled: 'Cancelled by the agent',
  executing: 'Approved, running',
  succeeded: 'Approved and run',
  failed: 'Approved, but it failed',
  outcome_unknown: 'Approved; whether it ran is unknown',
};

/** The channel message as it should read now: replaces the one with the buttons. */
export function slackOutcomeBody(request: RequestRecord) {
  const headline = `${STATUS_WORDS[request.status]}: ${request.connector} on ${request.target}`;
  const votes = request.votes.map(
    (vote) =>
      `${vote.decision === 'approve' ? 'Approved' : 'Rejected'} by *${slackEscape(vote.reviewer)}* (${vote.channel}) at ${vote.at}` +
      (vote.comment ? `: ${slackEscape(vote.comment)}` : ''),
  );
  const result =
    request.status === 'succeeded' && request.result
      ? [describeResult(request.result)]
      : request.error
        ? [`Error: ${slackEscape(request.error)}`]
        : [];
  return {
    replace_original: true,
    text: `${headline} (${request.id})`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(headline, 150) } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Agent*\n${slackEscape(request.agent)}` },
          { type: 'mrkdwn', text: `*Status*\n${request.status}` },
          { type: 'mrkdwn', text: `*Policy rule*\n${slackEscape(request.policy?.rule ?? 'unknown')}` },
        ],
      },
      ...slackReasonBlocks(request.reason),
      {
        type: 'section',
        text: { type: 'mrkdwn', text: slackCommandSection(describeCommand(request)).text },
      },
      ...(votes.length + result.length > 0
        ? [{ type: 'section', text: { type: 'mrkdwn', text: clip([...votes, ...result].join('\n'), 3000) } }]
        : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: request.id }] },
    ],
  };
}

/** A short reply only the clicking reviewer sees (a refusal, in words). */
export function slackEphemeral(text: string) {
  return { response_type: 'ephemeral', replace_original: false, text };
}

/** What a dialog needs once submitted: the button's request and stage, and where to rewrite the message. */
export interface DialogContext {
  requestId: string;
  stage: number;
  responseUrl: string;
}

/** A modal whose context travels in private_metadata (signed with the submission). */
function modal(callbackId: string, context: DialogContext, title: string, submit: string, blocks: object[]) {
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: JSON.stringify(context),
    title: { type: 'plain_text', text: title },
    submit: { type: 'plain_text', text: submit },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

export const REJECT_DIALOG = 'gate_reject_reason';

/** The reject dialog: the reason. */
export function rejectDialog(context: DialogContext) {
  return modal(REJECT_DIALOG, context, 'Reject the request', 'Reject', [
    {
      type: 'input',
      block_id: 'reason',
      label: { type: 'plain_text', text: `Why reject ${context.requestId}?` },
      element: { type: 'plain_text_input', action_id: 'reason', multiline: true, min_length: 1, max_length: 2000 },
    },
  ]);
}

export const GRANT_DIALOG = 'gate_grant';

/** The scoped-grant dialog: approve, and the same for commands of this shape, within the rule's caps. */
export function grantDialog(context: DialogContext, caps: { maxUses: number; maxForMs: number }, covers: string) {
  return modal(GRANT_DIALOG, context, 'Approve with a grant', 'Approve', [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `Approve ${slackEscape(context.requestId)}, and the same agent's commands of this shape on the same target, at most this many times, for this long. Of this shape: ${slackEscape(covers)}.`,
          3000,
        ),
      },
    },
    {
      type: 'input',
      block_id: 'uses',
      label: { type: 'plain_text', text: `Uses (at most ${caps.maxUses})` },
      element: {
        type: 'number_input',
        action_id: 'uses',
        is_decimal_allowed: false,
        min_value: '1',
        max_value: String(caps.maxUses),
        initial_value: '1',
      },
    },
    {
      type: 'input',
      block_id: 'for',
      label: { type: 'plain_text', text: `For (at most ${formatDurationMs(caps.maxForMs)})` },
      element: {
        type: 'plain_text_input',
        action_id: 'for',
        initial_value: formatDurationMs(Math.min(caps.maxForMs, 30 * 60_000)),
        max_length: 16,
      },
    },
  ]);
}

// What a Slack notice shows of an agent's text: a command whole or not at all (and then no
// Approve), a reason as plain text. Pure logic over the Block Kit body the notify activity sends (ADR 053).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slackCommandSection, slackReasonBlocks } from '../../notifications/webhook-bodies';
import { demoSlackNotice } from '../support/reviewer-notices';

const section = (text: string) => `*Command*\n\`\`\`${text}\`\`\``;
/** The longest command of plain characters a section holds whole. */
const FITS = 3_000 - section('').length;

test('a command that fits is shown whole, escaped, in a code block', () => {
  assert.deepEqual(slackCommandSection('SELECT 1 WHERE 2 < 3'), {
    text: section('SELECT 1 WHERE 2 &lt; 3'),
    whole: true,
  });
  assert.equal(slackCommandSection('x'.repeat(FITS)).whole, true);
});

test('a command longer than a section holds, as escaped, is not shown at all', () => {
  for (const command of [
    'x'.repeat(FITS + 1),
    '<'.repeat(Math.floor(FITS / 4) + 1),
    '\u200b'.repeat(Math.floor(FITS / 8) + 1),
  ]) {
    const { text, whole } = slackCommandSection(command);
    assert.equal(whole, false);
    assert.match(text, /^\*Command\*\nNot shown here: it takes [\d,]+ characters to show/);
    assert.ok(!text.includes(command.slice(0, 10)));
  }
});

test('three backquotes anywhere in a command keep it out of the notice, however short', () => {
  for (const command of ['SELECT 1 /*```~*/ OR true', 'SELECT 1 -- ```', '```']) {
    const { text, whole } = slackCommandSection(command);
    assert.equal(whole, false, command);
    assert.match(text, /three backquotes in a row/);
    assert.ok(!text.includes('SELECT'));
  }
  assert.equal(slackCommandSection('SELECT `a``b` FROM t').whole, true, 'two in a row end no code block');
});

test('a notice that cannot show its command offers Reject, no Approve and no grant', () => {
  const actions = (body: ReturnType<typeof demoSlackNotice>) =>
    (body.blocks as { type: string; elements?: { action_id: string }[] }[])
      .find((block) => block.type === 'actions')!
      .elements!.map((button) => button.action_id);
  assert.deepEqual(actions(demoSlackNotice()), ['gate_approve', 'gate_reject', 'gate_grant']);
  const cut = demoSlackNotice(`UPDATE customers SET note = '${'x'.repeat(FITS)}'`);
  assert.deepEqual(actions(cut), ['gate_reject']);
});

test("the reason is plain text: the agent's emphasis, code blocks and strikes are shown as typed", () => {
  const reason = 'routine\n*Risk*\nlow, ~reviewed~ ```ok``` <!channel> :white_check_mark:\u202e';
  const [label, text] = slackReasonBlocks(reason);
  assert.deepEqual(label, { type: 'section', text: { type: 'mrkdwn', text: '*Reason*' } });
  assert.deepEqual(text, {
    type: 'section',
    text: { type: 'plain_text', text: reason.replace('\u202e', '⟨U+202E⟩'), emoji: false },
  });
  const mrkdwn = (demoSlackNotice().blocks as { text?: { type: string; text: string } }[])
    .filter((block) => block.text?.type === 'mrkdwn')
    .map((block) => block.text!.text);
  assert.ok(!mrkdwn.some((text) => text.includes('Customer upgraded')), 'no mrkdwn block carries the reason');
});

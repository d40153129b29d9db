// What a reviewer approves in Slack is what the notice showed them. A Slack section holds 3,000
// characters, and the command sat in a code block that three backquotes end. So an agent could
// pad a command until its dangerous part fell past what the notice showed, or close the code
// block inside a comment and strike the rest through (`~OR true~` reads as deleted): the reviewer
// saw part of a command, or another one, and its Approve button approved the whole. A command
// Slack cannot show whole is not shown there and not approved there (ADR 053): the reviewer reads
// it in the inbox, which shows every character, and decides there.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Receiver, startReceiver } from '../support/receiver';
import { buttonClick, fromSlack, interactiveSlackOptions } from '../support/slack-clicks';
import { inboxCookie } from '../support/stack';
import {
  type AttackStack,
  ALL_NEED_APPROVAL_POLICY,
  send,
  startAttackStack,
  submitBody,
  submitPending,
  tally,
  waitFor,
} from './support';

const ALICE_IN_SLACK = 'U0ALICE01';

/** Commands whose notice showed something else than what runs: each zeroes every row of the vault. */
const SHAPES = [
  {
    label: 'a note long enough to push the change past what the notice showed',
    sql: `UPDATE cut_vault SET note = 'rotated by the nightly job${' (routine)'.repeat(300)}', gold = 0 WHERE id > 0`,
  },
  {
    label: 'a code block closed in a comment, the condition struck through',
    sql: 'UPDATE cut_vault SET gold = 0 WHERE id = 1 /*```~*/ OR true /*~```*/',
  },
];

let stack: AttackStack;
let receiver: Receiver;

before(async () => {
  receiver = await startReceiver();
  const slack = interactiveSlackOptions(receiver.url, `slackUserId: ${ALICE_IN_SLACK}`);
  stack = await startAttackStack(ALL_NEED_APPROVAL_POLICY, {
    ...slack,
    env: { ...slack.env, SESSION_SECRET: 'inbox-session-secret-for-tests-0123456789' },
  });
  await stack.target.query(
    'DROP TABLE IF EXISTS cut_vault; CREATE TABLE cut_vault (id int PRIMARY KEY, gold int NOT NULL, note text); ' +
      'INSERT INTO cut_vault VALUES (1, 100, null), (2, 100, null)',
  );
});

after(async () => {
  await stack?.target.query('DROP TABLE IF EXISTS cut_vault');
  await stack?.stop();
  await receiver?.close();
});

interface Notice {
  blocks: { type: string; text?: { text: string }; elements?: { action_id: string; value: string }[] }[];
}

/** Submits `sql`, waits for its Slack notice; the request's id, the notice's buttons and its command section. */
async function pendingInSlack(sql: string) {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody(sql, 'nightly upkeep'));
  assert.equal(submitted.status, 202, submitted.text);
  const id = submitted.json<{ id: string }>().id;
  await waitFor(stack, id, ['pending_approval']);
  const notice = (await receiver.waitForBody('/hook', (body) => JSON.stringify(body).includes(id))) as Notice;
  const buttons = notice.blocks.find((block) => block.type === 'actions')!.elements!;
  const command = notice.blocks.find((block) => block.text?.text.startsWith('*Command*'))!.text!.text;
  return { id, buttons: buttons.map((button) => button.action_id), value: buttons[0]!.value, command };
}

let responses = 0;

/** Alice clicks Approve, from this notice or an older one that had the button; what her click did. */
async function approveInSlack(id: string) {
  const responseUrl = `${receiver.url}/response/${++responses}`;
  const answer = await fromSlack(stack.app, buttonClick(ALICE_IN_SLACK, 'gate_approve', `${id}:1`, responseUrl));
  assert.equal(answer.statusCode, 200, answer.body);
  const [reply] = await receiver.waitFor(new URL(responseUrl).pathname, 1);
  return JSON.stringify(reply!.body);
}

const goldLeft = async () =>
  (await stack.target.query<{ gold: number }>('SELECT sum(gold)::int AS gold FROM cut_vault')).rows[0]!.gold;

test('a command shown whole is approved from Slack as before', async () => {
  const { id, buttons, command } = await pendingInSlack('UPDATE cut_vault SET note = $$checked$$ WHERE id = 1');
  assert.deepEqual(buttons, ['gate_approve', 'gate_reject']);
  assert.match(command, /```UPDATE cut_vault SET note = \$\$checked\$\$ WHERE id = 1```/);
  await approveInSlack(id);
  await waitFor(stack, id, ['succeeded']);
});

test('a command Slack cannot show whole offers no Approve, and an Approve click does not count', async () => {
  const ran: string[] = [];
  for (const shape of SHAPES) {
    const { id, buttons, command } = await pendingInSlack(shape.sql);
    // What the reviewer reads says the command is elsewhere; none of it can mislead.
    assert.deepEqual(buttons, ['gate_reject'], shape.label);
    assert.match(command, /^\*Command\*\nNot shown here: /, shape.label);
    assert.doesNotMatch(command, /cut_vault/, shape.label);

    const reply = await approveInSlack(id);
    const status = (await waitFor(stack, id, ['pending_approval', 'succeeded', 'failed'])).status as string;
    if (status !== 'pending_approval') {
      await waitFor(stack, id, ['succeeded', 'failed']);
      ran.push(`${shape.label}: ${status}`);
      continue;
    }
    assert.match(reply, /Not counted: Slack could not show this command whole/, shape.label);
    const votes = await stack.admin.query('SELECT 1 FROM votes WHERE request_id = $1', [id]);
    assert.equal(votes.rowCount, 0, `${shape.label}: no vote recorded`);
  }
  tally('commands approved from a Slack notice that showed them cut', SHAPES.length, ran.length);
  assert.deepEqual(ran, []);
  assert.equal(await goldLeft(), 200, 'the vault kept its gold');
});

test('the inbox shows the same command whole, and it is approved there', async () => {
  const id = await submitPending(stack, SHAPES[0]!.sql, 'upkeep');
  const page = await stack.app.inject({
    method: 'GET',
    url: `/inbox/requests/${id}`,
    headers: { cookie: await inboxCookie(stack, 'alice') },
  });
  assert.equal(page.statusCode, 200);
  // The page's text, without highlight.js's marks and with its entities read back.
  const text = page.body
    .replace(/<[^<>]*>/g, '')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  assert.ok(text.includes(SHAPES[0]!.sql), 'the page shows every character of the command');
  const approved = await send(stack.baseUrl, 'POST', `/v1/requests/${id}/approve`, 'alice', {});
  assert.equal(approved.status, 200, approved.text);
  await waitFor(stack, id, ['succeeded']);
  assert.equal(await goldLeft(), 0, 'approved where it was read whole, it ran');
});

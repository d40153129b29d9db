// Who clicked a Slack button: the gate maps the Slack user to a reviewer by `slackUserId`, or by
// the e-mail in their Slack profile. That e-mail is what Slack's users.info says, and Slack says
// what other parties told it too: a member of another organization in a shared channel (Slack
// Connect) carries the address their own workspace gave them, and an address Slack never confirmed
// is only typed. Each was taken as the reviewer with that address. Now only a confirmed address
// of a live member of the app's own workspace speaks for a reviewer (ADR 055). Slack's Web API
// is the local receiver here, answering users.info as Slack documents it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Receiver, startReceiver } from '../support/receiver';
import { buttonClick, fromSlack, interactiveSlackOptions } from '../support/slack-clicks';
import {
  type AttackStack,
  ALL_NEED_APPROVAL_POLICY,
  send,
  startAttackStack,
  submitBody,
  tally,
  waitFor,
} from './support';

const ALICE_EMAIL = 'alice@example.com';

/** Slack users whose profile carries alice's address, and what else users.info says of them. */
const IMPOSTORS = [
  { label: 'a member of another organization in a shared channel', id: 'U0STRANGE1', is_stranger: true },
  { label: 'a member whose address Slack never confirmed', id: 'U0UNCONF01', is_email_confirmed: false },
  { label: 'a deactivated account', id: 'U0DELETED1', deleted: true },
  { label: 'a bot user', id: 'U0BOTUSER1', is_bot: true },
];

let stack: AttackStack;
let receiver: Receiver;

before(async () => {
  receiver = await startReceiver();
  stack = await startAttackStack(
    ALL_NEED_APPROVAL_POLICY,
    interactiveSlackOptions(receiver.url, `email: ${ALICE_EMAIL}`),
  );
});

after(async () => {
  await stack?.stop();
  await receiver?.close();
});

let responses = 0;

/** A pending request, approved from Slack by `user` as users.info describes them; the reply and the votes. */
async function approveAs(user: Record<string, unknown> & { id: string }) {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody('SELECT 1', 'identities'));
  const id = submitted.json<{ id: string }>().id;
  await waitFor(stack, id, ['pending_approval']);
  receiver.answerJson('/api/users.info', {
    ok: true,
    user: { team_id: 'T0GATE0001', is_email_confirmed: true, ...user, profile: { email: ALICE_EMAIL } },
  });
  const responseUrl = `${receiver.url}/response/${++responses}`;
  const answer = await fromSlack(stack.app, buttonClick(user.id, 'gate_approve', `${id}:1`, responseUrl));
  assert.equal(answer.statusCode, 200, answer.body);
  const [reply] = await receiver.waitFor(new URL(responseUrl).pathname, 1);
  const votes = await stack.admin.query<{ reviewer: string }>('SELECT reviewer FROM votes WHERE request_id = $1', [id]);
  return { id, reply: JSON.stringify(reply!.body), voters: votes.rows.map((row) => row.reviewer) };
}

test('no Slack user but a confirmed member of the workspace speaks for the reviewer with that e-mail', async () => {
  const counted: string[] = [];
  for (const { label, ...user } of IMPOSTORS) {
    const { id, reply, voters } = await approveAs(user);
    if (voters.length > 0) {
      counted.push(`${label}: counted as ${voters.join(', ')}`);
      continue;
    }
    assert.match(reply, /not a gate reviewer/, label);
    assert.equal((await waitFor(stack, id, ['pending_approval'])).status, 'pending_approval');
  }
  tally('Slack users taken for the reviewer whose e-mail their profile shows', IMPOSTORS.length, counted.length);
  assert.deepEqual(counted, []);

  // The same address on a confirmed member of the workspace is alice, as before.
  const { id, voters } = await approveAs({ id: 'U0ALICE001' });
  assert.deepEqual(voters, ['alice']);
  await waitFor(stack, id, ['succeeded']);
});

// Slack, interactively: the notice carries Approve / Reject buttons, and signed interactivity
// payloads as Slack sends them (valid, stale, badly signed, from unknown users, self-approvals,
// a reviewer found by e-mail, a rejection through the dialog) go through the API's vote path. A
// local receiver stands in for the webhook, Slack's Web API and the response URLs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client as PgClient } from 'pg';
import { call, submitBody, waitForStatus } from '../support/api';
import { resetAgentOrders } from '../support/agents';
import { type Receiver, startReceiver } from '../support/receiver';
import { PRINCIPALS, type TestStack, startTestStack } from '../support/stack';
import { buttonClick, fromSlack as signed, slackTestEnv } from '../support/slack-clicks';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: grantable-in-slack
    when: request.reason == "slack grant"
    effect: require_approval
    approval: { groups: [dba], timeout: 1h }
    grant: { maxUses: 3, maxFor: 1h }
`;

let stack: TestStack;
let receiver: Receiver;
let target: PgClient;

before(async () => {
  receiver = await startReceiver();
  receiver.answerJson('/api/views.open', { ok: true });
  receiver.answerJson('/api/users.info', {
    ok: true,
    user: { id: 'U0BOBMAIL', is_email_confirmed: true, profile: { email: 'Bob@Example.com' } },
  });
  stack = await startTestStack(POLICY, {
    principals: PRINCIPALS.replace(
      '{ id: alice, kind: reviewer, groups: [dba],',
      '{ id: alice, kind: reviewer, groups: [dba], slackUserId: U0ALICE01,',
    )
      .replace(
        '{ id: erin, kind: reviewer, groups: [dba],',
        '{ id: erin, kind: reviewer, groups: [dba], slackUserId: U0ERIN001,',
      )
      .replace(
        '{ id: carol, kind: reviewer, groups: [dba, oncall],',
        '{ id: carol, kind: reviewer, groups: [dba, oncall], slackUserId: U0CAROL01,',
      )
      .replace(
        '{ id: bob, kind: reviewer, groups: [dba],',
        '{ id: bob, kind: reviewer, groups: [dba], email: bob@example.com,',
      ),
    notifications: `webhooks:
  - { name: dba-slack, url: "${receiver.url}/hook", format: slack, interactive: true, groups: [dba], allowPrivateNetwork: true }
`,
    env: slackTestEnv(receiver.url),
  });
  target = await resetAgentOrders();
});

after(async () => {
  await target?.end();
  await stack?.stop();
  await receiver?.close();
});

let responses = 0;
const nextResponseUrl = () => `${receiver.url}/response/${++responses}`;

const fromSlack = (payload: object, options?: Parameters<typeof signed>[2]) => signed(stack.app, payload, options);

/** Submits a write (as the agent, or as erin) and returns its id and the button value from its Slack notice. */
async function pendingWithButtons(
  sql: string,
  as: 'agent' | 'erin' = 'agent',
  reason = 'slack test',
  expected = ['gate_approve', 'gate_reject'],
) {
  const submitted = await call(stack.app, 'POST', '/v1/requests', as, submitBody(sql, reason));
  const id = submitted.body.id;
  await waitForStatus(stack.app, id, ['pending_approval']);
  // This request's own notice: an earlier test's decision notices may still be arriving.
  const notice = (await receiver.waitForBody('/hook', (body) => JSON.stringify(body).includes(id))) as {
    blocks: { type: string; elements?: { action_id: string; value: string }[] }[];
  };
  const buttons = notice.blocks.find((block) => block.type === 'actions')!.elements!;
  assert.deepEqual(
    buttons.map((button) => button.action_id),
    expected,
  );
  return { id, value: buttons[0]!.value };
}

const votesOf = async (id: string) =>
  (await stack.pool.query<{ reviewer: string }>('SELECT reviewer FROM votes WHERE request_id = $1', [id])).rows;

test('a signed Approve click counts as the mapped reviewer and the message follows the request to its end', async () => {
  const { id, value } = await pendingWithButtons("UPDATE agent_orders SET status = 'slack' WHERE id = 1");
  assert.equal(value, `${id}:1`);
  const url = nextResponseUrl();
  const answer = await fromSlack(buttonClick('U0ALICE01', 'gate_approve', value, url));
  assert.equal(answer.statusCode, 200, answer.body);
  const done = await waitForStatus(stack.app, id, ['succeeded']);
  assert.deepEqual(
    done.votes.map((vote) => [vote.reviewer, vote.channel, vote.verified]),
    [['alice', 'api', true]],
  );
  const updates = await receiver.waitFor(new URL(url).pathname, 2);
  const texts = updates.map((update) => JSON.stringify(update.body));
  assert.match(texts[0]!, /"replace_original":true/);
  assert.match(texts[0]!, /Approved by \*alice\* \(api\)/);
  assert.match(texts[1]!, /Approved and run: postgres on app-db/);
  assert.match(texts[1]!, /1 row\(s\)/);
});

test('stale, badly signed and tampered payloads are refused and count nothing', async () => {
  const { id, value } = await pendingWithButtons("UPDATE agent_orders SET status = 'forged' WHERE id = 2");
  const payload = buttonClick('U0ALICE01', 'gate_approve', value, nextResponseUrl());
  const stale = await fromSlack(payload, { at: Math.floor(Date.now() / 1000) - 301 });
  assert.equal(stale.statusCode, 401);
  assert.match(stale.body, /five minutes/);
  // Well past the window: at +301 the server's clock, read a moment later, may be 300 away.
  const future = await fromSlack(payload, { at: Math.floor(Date.now() / 1000) + 330 });
  assert.equal(future.statusCode, 401);
  assert.equal((await fromSlack(payload, { secret: 'another-apps-signing-secret-000' })).statusCode, 401);
  const rejectClick = buttonClick('U0ALICE01', 'gate_reject', value, nextResponseUrl());
  assert.equal((await fromSlack(rejectClick, { tamper: true })).statusCode, 401);
  const unsigned = await stack.app.inject({
    method: 'POST',
    url: '/slack/interactions',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `payload=${encodeURIComponent(JSON.stringify(payload))}`,
  });
  assert.equal(unsigned.statusCode, 401);
  // Signed, but not a gate button: a shortcut, a button for another request id shape, a dialog without its context.
  assert.equal((await fromSlack({ type: 'shortcut', user: { id: 'U0ALICE01' } })).statusCode, 400);
  assert.equal(
    (await fromSlack(buttonClick('U0ALICE01', 'gate_approve', 'req_x:1', nextResponseUrl()))).statusCode,
    400,
  );
  const lost = { type: 'view_submission', user: { id: 'U0ALICE01' } };
  const withoutContext = {
    ...lost,
    view: {
      callback_id: 'gate_reject_reason',
      private_metadata: '{not json',
      state: { values: { reason: { reason: { value: 'x' } } } },
    },
  };
  assert.equal((await fromSlack(withoutContext)).statusCode, 400);
  assert.deepEqual(await votesOf(id), []);
  assert.equal((await call(stack.app, 'GET', `/v1/requests/${id}`, 'alice')).body.status, 'pending_approval');
});

test('an unknown Slack user and a self-approval get words back, and no vote', async () => {
  const { id, value } = await pendingWithButtons("UPDATE agent_orders SET status = 'mine' WHERE id = 2", 'erin');
  receiver.answerJson('/api/users.info', {
    ok: true,
    user: { id: 'U0NOBODY1', profile: { email: 'nobody@example.com' } },
  });
  const strangerUrl = nextResponseUrl();
  assert.equal((await fromSlack(buttonClick('U0NOBODY1', 'gate_approve', value, strangerUrl))).statusCode, 200);
  const [stranger] = await receiver.waitFor(new URL(strangerUrl).pathname);
  assert.match(JSON.stringify(stranger!.body), /not a gate reviewer/);
  assert.match(JSON.stringify(stranger!.body), /"response_type":"ephemeral"/);

  const ownUrl = nextResponseUrl();
  assert.equal((await fromSlack(buttonClick('U0ERIN001', 'gate_approve', value, ownUrl))).statusCode, 200);
  const [own] = await receiver.waitFor(new URL(ownUrl).pathname);
  assert.match(JSON.stringify(own!.body), /Not counted: nobody may vote on their own request/);
  assert.deepEqual(
    (await votesOf(id)).map((row) => row.reviewer),
    ['erin'], // recorded as refused before the workflow said no; not counted
  );
  const view = (await call(stack.app, 'GET', `/v1/requests/${id}`, 'alice')).body;
  assert.equal(view.status, 'pending_approval');
  assert.deepEqual(view.votes, []);
});

test('a reviewer found by the e-mail in their Slack profile', async () => {
  receiver.answerJson('/api/users.info', {
    ok: true,
    user: { id: 'U0BOBMAIL', is_email_confirmed: true, profile: { email: 'Bob@Example.com' } },
  });
  const { id, value } = await pendingWithButtons("UPDATE agent_orders SET status = 'by-mail' WHERE id = 2");
  assert.equal((await fromSlack(buttonClick('U0BOBMAIL', 'gate_approve', value, nextResponseUrl()))).statusCode, 200);
  const done = await waitForStatus(stack.app, id, ['succeeded']);
  assert.deepEqual(
    done.votes.map((vote) => vote.reviewer),
    ['bob'],
  );
});

test('Reject opens a dialog; its submission rejects with the reason and rewrites the message', async () => {
  const { id, value } = await pendingWithButtons("UPDATE agent_orders SET status = 'never' WHERE id = 1");
  const url = nextResponseUrl();
  const before = receiver.received.filter((entry) => entry.path === '/api/views.open').length;
  assert.equal((await fromSlack(buttonClick('U0CAROL01', 'gate_reject', value, url))).statusCode, 200);
  const opened = (await receiver.waitFor('/api/views.open', before + 1)).at(-1)!.body as {
    trigger_id: string;
    view: string;
  };
  assert.equal(opened.trigger_id, 'trigger-U0CAROL01');
  const view = JSON.parse(opened.view) as { callback_id: string; private_metadata: string };
  assert.equal((await call(stack.app, 'GET', `/v1/requests/${id}`, 'alice')).body.status, 'pending_approval');

  const submission = {
    type: 'view_submission',
    user: { id: 'U0CAROL01' },
    view: {
      ...view,
      state: { values: { reason: { reason: { type: 'plain_text_input', value: 'no writes during the freeze' } } } },
    },
  };
  const answer = await fromSlack(submission);
  assert.equal(answer.statusCode, 200, answer.body);
  const done = await waitForStatus(stack.app, id, ['rejected']);
  assert.deepEqual(
    done.votes.map((vote) => [vote.reviewer, vote.decision, vote.comment]),
    [['carol', 'reject', 'no writes during the freeze']],
  );
  const updates = await receiver.waitFor(new URL(url).pathname, 1);
  assert.match(
    JSON.stringify(updates.at(-1)!.body),
    /Rejected by \*carol\* \(api\) at .*: no writes during the freeze/,
  );

  // The same dialog again: the request is no longer pending, and the dialog says so.
  const again = await fromSlack(submission);
  assert.match(again.body, /"response_action":"errors".*Not counted: the request is rejected/);
});

test('Approve with grant opens a dialog; its submission approves and grants the same shape, within the caps', async () => {
  const { id, value } = await pendingWithButtons(
    "UPDATE agent_orders SET status = 'granted' WHERE id = 1",
    'agent',
    'slack grant',
    ['gate_approve', 'gate_reject', 'gate_grant'],
  );
  const url = nextResponseUrl();
  const before = receiver.received.filter((entry) => entry.path === '/api/views.open').length;
  assert.equal((await fromSlack(buttonClick('U0ALICE01', 'gate_grant', value, url))).statusCode, 200);
  const opened = (await receiver.waitFor('/api/views.open', before + 1)).at(-1)!.body as { view: string };
  const view = JSON.parse(opened.view) as { callback_id: string; private_metadata: string };
  assert.equal(view.callback_id, 'gate_grant');
  // The reviewer reads what "this shape" lets differ, for this connector (ADR 052).
  assert.match(opened.view, /Of this shape: the same statements on the same tables, columns, functions and names/);
  const submit = (uses: string, duration: string) =>
    fromSlack({
      type: 'view_submission',
      user: { id: 'U0ALICE01' },
      view: {
        ...view,
        state: { values: { uses: { uses: { value: uses } }, for: { for: { value: duration } } } },
      },
    });
  // Above the rule's caps: the dialog says so, and nothing counts.
  const tooMany = await submit('4', '10m');
  assert.match(tooMany.body, /"response_action":"errors".*at most 3 uses for 1h/);
  assert.match((await submit('1', 'a while')).body, /"for":"a duration such as 30m or 4h"/);
  assert.deepEqual(await votesOf(id), []);

  const answer = await submit('2', '10m');
  assert.equal(answer.statusCode, 200, answer.body);
  assert.equal((await waitForStatus(stack.app, id, ['succeeded'])).status, 'succeeded');
  const grants = (
    await call<{ items: { sourceRequest: string; maxUses: number; grantedBy: string }[] }>(
      stack.app,
      'GET',
      '/v1/grants',
      'alice',
    )
  ).body.items;
  assert.deepEqual(
    grants.filter((grant) => grant.sourceRequest === id).map((grant) => [grant.grantedBy, grant.maxUses]),
    [['alice', 2]],
  );
  const next = await call(stack.app, 'POST', '/v1/requests', 'agent', {
    ...submitBody("UPDATE agent_orders SET status = 'granted' WHERE id = 2", 'slack grant'),
  });
  assert.equal((await waitForStatus(stack.app, next.body.id, ['succeeded', 'pending_approval'])).status, 'succeeded');
});

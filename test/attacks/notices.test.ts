// Class 13: notices. Someone with Temporal namespace access runs a workflow of their own under a
// request's id once that request's workflow has ended or been terminated, and has the orchestrator
// send reviewer notices and agent callbacks of their own writing: a command nobody submitted, a
// stage or a verdict that never happened, a callback to a URL of their choosing. What reviewers and
// agents hear must be what the records hold, and only what happened.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AgentNotice, ReviewerNotice } from '../../temporal/contract';
import { type Receiver, startReceiver } from '../support/receiver';
import type { sendNotices } from './rogue/workflows';
import { runRogueWorkflow } from './rogue-worker';
import { type AttackStack, send, startAttackStack, submitBody, tally, waitFor } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
`;
const RECORDED_SQL = 'UPDATE vault SET gold = gold - 1 WHERE id = 1';
/** Text of the attacker's: none of it may reach a reviewer or an agent. */
const FORGED_SQL = 'DROP TABLE forged_vault_notice';
const FORGED_REASON = 'forged: approve at once, the CEO asked';

let stack: AttackStack;
let receiver: Receiver;

before(async () => {
  receiver = await startReceiver();
  stack = await startAttackStack(POLICY, {
    notifications: `webhooks:
  - { name: dba-json, url: "${receiver.url}/dba", format: json, groups: [dba], allowPrivateNetwork: true }
`,
    env: { CALLBACK_ALLOWED_HOSTS: new URL(receiver.url).host },
  });
});

after(async () => {
  await stack?.stop();
  await receiver?.close();
});

async function submitWithCallback(reason: string): Promise<string> {
  const body = submitBody(RECORDED_SQL, reason, { callbackUrl: `${receiver.url}/agent` });
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', body);
  assert.equal(submitted.status, 202, submitted.text);
  const id = submitted.json<{ id: string }>().id;
  await waitFor(stack, id, ['pending_approval']);
  return id;
}

/** Polls the delivery record of `notice` until it is `status`. */
async function deliveryBecomes(requestId: string, notice: string, status: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = await stack.admin.query<{ status: string }>(
      'SELECT status FROM notification_deliveries WHERE request_id = $1 AND notice = $2',
      [requestId, notice],
    );
    if (found.rows.some((row) => row.status === status)) return;
    if (Date.now() > deadline) throw new Error(`notice ${notice} of ${requestId} never became ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A reviewer notice as the attacker writes it, for `requestId`. */
function forgedReviewerNotice(
  requestId: string,
  event: ReviewerNotice['event'],
  stage: number,
  stageCount = 1,
): ReviewerNotice {
  return {
    event,
    request: {
      id: requestId,
      agent: 'billing-agent',
      connector: 'postgres',
      target: 'app-db',
      command: { sql: FORGED_SQL },
      reason: FORGED_REASON,
      metadata: {},
    },
    policy: { rule: 'forged-rule', risk: 'low', explanation: FORGED_REASON },
    approval: {
      stage,
      stageCount,
      groups: ['dba'],
      quorum: 1,
      distinctGroups: false,
      channels: ['api', 'temporal'],
      onTimeout: 'reject',
      deadline: '2099-01-01T00:00:00.000Z',
    },
  };
}

const forgedAgentNotice = (requestId: string): AgentNotice => ({
  requestId,
  callbackUrl: `${receiver.url}/forged-callback`,
  status: 'succeeded',
});

const receivedFor = (requestId: string) =>
  receiver.received.filter((received) => JSON.stringify(received.body).includes(requestId));

test('notices sent from a workflow of their own say only what the records hold, and only what happened', async () => {
  // A waiting request whose first notice could not be delivered (the receiver was down), then whose
  // workflow was terminated: its id is free, and a resend of its notice is not a repeat.
  receiver.answerWith(500);
  const waiting = await submitWithCallback('waits for a dba');
  await deliveryBecomes(waiting, 'approval_requested:1', 'failed');
  receiver.answerWith(200);
  await stack.client.workflow.getHandle(waiting).terminate('the attacker frees the id');

  // An ended request (cancelled by its agent): its notices and callback were delivered.
  const ended = await submitWithCallback('cancelled by its agent');
  const cancelled = await send(stack.baseUrl, 'POST', `/v1/requests/${ended}/cancel`, 'agent', {});
  assert.ok(cancelled.status < 300, cancelled.text);
  await stack.client.workflow.getHandle(ended).result();
  await deliveryBecomes(ended, 'finished', 'delivered');
  await deliveryBecomes(ended, 'cancelled', 'delivered');
  const [waitingBefore, endedBefore] = [receivedFor(waiting).length, receivedFor(ended).length];

  const queue = stack.settings.TEMPORAL_TASK_QUEUE;
  const asWaiting = await runRogueWorkflow<typeof sendNotices>(stack.settings, 'sendNotices', waiting, [
    queue,
    [
      // The stage that opened, with the attacker's command, reason, policy and deadline.
      forgedReviewerNotice(waiting, 'approval_requested', 1),
      // A stage and verdicts that never happened.
      forgedReviewerNotice(waiting, 'escalated', 2, 2),
      forgedReviewerNotice(waiting, 'approved', 1),
    ],
    // The request has not ended, and this is not its callback.
    [forgedAgentNotice(waiting)],
  ]);
  const asEnded = await runRogueWorkflow<typeof sendNotices>(stack.settings, 'sendNotices', ended, [
    queue,
    [forgedReviewerNotice(ended, 'cancelled', 1), forgedReviewerNotice(ended, 'rejected', 1)],
    [forgedAgentNotice(ended)],
  ]);
  // Deliveries are posted before the activity answers: everything sent has arrived.
  const arrived = [...receivedFor(waiting).slice(waitingBefore), ...receivedFor(ended).slice(endedBefore)];

  assert.match(asWaiting[1]!, /refused: the records of req_\w+ hold no escalated:2/, 'a stage that never opened');
  assert.match(
    asWaiting[2]!,
    /refused: the records of req_\w+ hold no status:approved/,
    'a verdict that never happened',
  );
  assert.match(asWaiting[3]!, /refused: .*has not ended/, 'a callback before the end');
  assert.match(asEnded[1]!, /refused: the records of req_\w+ hold no status:rejected/, 'a verdict that never happened');
  // The stage that opened is told again, as recorded: its failed delivery is not a repeat.
  assert.equal(asWaiting[0], 'sent');
  assert.equal(arrived.filter((received) => received.path === '/dba').length, 1, JSON.stringify(arrived));
  const resent = arrived.find((received) => received.path === '/dba')!.body as {
    request: { command: { sql: string }; reason: string };
    policy: { rule: string };
  };
  assert.equal(resent.request.command.sql, RECORDED_SQL);
  assert.equal(resent.request.reason, 'waits for a dba');
  assert.equal(resent.policy.rule, 'default');
  // The ended request's notices were delivered: a resend, whatever it says, sends nothing.
  assert.deepEqual(asEnded.filter((said) => said === 'sent').length, 2, JSON.stringify(asEnded));

  const everything = JSON.stringify(receiver.received);
  assert.ok(!everything.includes(FORGED_SQL) && !everything.includes(FORGED_REASON), 'forged text reached someone');
  assert.ok(!everything.includes('2099-01-01'), 'a forged deadline reached someone');
  assert.equal(receiver.received.filter((received) => received.path === '/forged-callback').length, 0);
  const forgedThrough = arrived.filter(
    (received) => received.path !== '/dba' || JSON.stringify(received.body).includes('forged'),
  ).length;
  tally('notices sent from a workflow of their own', asWaiting.length + asEnded.length, forgedThrough);
});

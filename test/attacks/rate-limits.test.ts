// Class 4 (continued): one principal cannot flood submits or decisions; others are not slowed.
// A stack of its own, with limits low enough to reach.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AttackStack, ALL_NEED_APPROVAL_POLICY, send, startAttackStack, submitBody, tally } from './support';

let stack: AttackStack;
before(async () => {
  stack = await startAttackStack(ALL_NEED_APPROVAL_POLICY, {
    env: { SUBMIT_RATE_LIMIT: '5', DECISION_RATE_LIMIT: '3' },
  });
});
after(() => stack.stop());

test('submits past the per-principal limit get 429 with Retry-After, and record nothing', async () => {
  const statuses: number[] = [];
  let retryAfter: string | undefined;
  for (let i = 0; i < 8; i++) {
    const answer = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody('SELECT 1', `flood ${i}`));
    statuses.push(answer.status);
    if (answer.status === 429) {
      retryAfter = String(answer.headers['retry-after']);
      assert.match(answer.json<{ message: string }>().message, /rate limit/i);
    }
  }
  assert.deepEqual(statuses, [202, 202, 202, 202, 202, 429, 429, 429]);
  assert.match(retryAfter ?? '', /^\d+$/);
  const recorded = await stack.admin.query("SELECT 1 FROM requests WHERE reason LIKE 'flood %'");
  assert.equal(recorded.rowCount, 5);
  // Another agent is not limited by the first one's flood.
  assert.equal(
    (await send(stack.baseUrl, 'POST', '/v1/requests', 'otherAgent', submitBody('SELECT 1', 'another agent'))).status,
    202,
  );
  tally('submits past the rate limit', 3, statuses.filter((status) => status !== 429).length - 5);
});

test('decisions past the per-reviewer limit get 429', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const answer = await send(
      stack.baseUrl,
      'POST',
      '/v1/requests/req_01JZZZZZZZZZZZZZZZZZZZZZZZ/approve',
      'alice',
      {},
    );
    statuses.push(answer.status);
  }
  assert.deepEqual(statuses, [404, 404, 404, 429, 429]);
  assert.equal(
    (await send(stack.baseUrl, 'POST', '/v1/requests/req_01JZZZZZZZZZZZZZZZZZZZZZZZ/approve', 'bob', {})).status,
    404,
    'bob has his own budget',
  );
});

// Class 48: an agent's requests multiply what reviewers' open inboxes cost. The inbox list read
// each pending request again, one query each (up to 100), and an open inbox renders its page again
// on every status change, which agents cause as fast as they submit: each reviewer with the inbox
// open turned an agent's submits into a hundred reads of the gate's database per change. Now the
// pending requests are read in one query, and a page refreshes at most once a second
// (test/browser/inbox.browser.test.ts counts that in Chromium).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { inboxCookie } from '../support/stack';
import {
  type AttackStack,
  ALL_NEED_APPROVAL_POLICY,
  countQueries,
  send,
  startAttackStack,
  submitBody,
  tally,
  waitFor,
} from './support';

const PENDING = 60;

let stack: AttackStack;
before(async () => {
  stack = await startAttackStack(ALL_NEED_APPROVAL_POLICY, {
    env: { SESSION_SECRET: 'inbox-session-secret-for-tests-0123456789' },
  });
});
after(() => stack?.stop());

test('an inbox view reads the gate database a fixed number of times, however many requests wait', async () => {
  const ids: string[] = [];
  for (let i = 0; i < PENDING; i++) {
    const submitted = await send(
      stack.baseUrl,
      'POST',
      '/v1/requests',
      'agent',
      submitBody(`SELECT ${i}`, `wait ${i}`),
    );
    ids.push(submitted.json<{ id: string }>().id);
  }
  for (const id of ids) await waitFor(stack, id, ['pending_approval']);
  const cookie = await inboxCookie(stack, 'alice');

  const queries = countQueries(stack.pool, /./);
  try {
    const page = await stack.app.inject({ method: 'GET', url: '/inbox', headers: { cookie } });
    assert.equal(page.statusCode, 200);
    for (const id of ids) assert.ok(page.body.includes(id), `${id} is listed`);
    const perView = queries.count();
    console.log(`one inbox view with ${PENDING} requests waiting: ${perView} queries`);
    // Two lists and one read of the waiting requests with their votes; it was one read each.
    tally('inbox reads multiplied by waiting requests', 1, perView > 3 ? 1 : 0);
    assert.ok(perView <= 3, `${perView} queries`);
  } finally {
    queries.stop();
  }
});

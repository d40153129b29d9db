// Class 50: what a reviewer's token (or a stolen session) can make the API spend. A walk of the
// audit log reads and hashes every row, and each call started one, without limit; an inbox page
// that follows live changes is a stream every status change is written to, and a session could
// open any number. Now calls that arrive while a walk runs share it, a reviewer starts at most 6
// walks a minute, and holds at most 10 live inbox pages in one process.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { inboxCookie } from '../support/stack';
import {
  type AttackStack,
  ALL_NEED_APPROVAL_POLICY,
  countQueries,
  send,
  startAttackStack,
  submitPending,
  tally,
} from './support';

let stack: AttackStack;
before(async () => {
  stack = await startAttackStack(ALL_NEED_APPROVAL_POLICY, {
    env: { SESSION_SECRET: 'inbox-session-secret-for-tests-0123456789' },
  });
  await submitPending(stack, 'UPDATE t SET a = 1', 'something to audit');
});
after(() => stack?.stop());

test('concurrent audit walks share one, and a reviewer starts at most 6 a minute', async () => {
  // One walk alone, to count the reads it makes.
  const alone = countQueries(stack.pool, /FROM audit_events/);
  assert.equal((await send(stack.baseUrl, 'GET', '/v1/audit/verify', 'bob')).status, 200);
  const oneWalk = alone.count();
  alone.stop();
  assert.ok(oneWalk > 0);

  // The walk's first read waits on a lock, so all five calls arrive while it runs.
  const together = countQueries(stack.pool, /FROM audit_events/);
  const locker = await stack.admin.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE audit_chain_heads IN ACCESS EXCLUSIVE MODE');
  const calls = Promise.all(Array.from({ length: 5 }, () => send(stack.baseUrl, 'GET', '/v1/audit/verify', 'alice')));
  await new Promise((resolve) => setTimeout(resolve, 500));
  await locker.query('COMMIT');
  locker.release();
  const answers = await calls;
  const sharedReads = together.count();
  together.stop();
  assert.ok(answers.every((answer) => answer.status === 200 && answer.json<{ ok: boolean }>().ok));
  assert.equal(sharedReads, oneWalk, `5 concurrent calls read as one walk (${sharedReads} vs ${oneWalk})`);

  const later = [await send(stack.baseUrl, 'GET', '/v1/audit/verify', 'alice')];
  later.push(await send(stack.baseUrl, 'GET', '/v1/audit/verify', 'alice'));
  assert.deepEqual(
    later.map((answer) => answer.status),
    [200, 429],
    'alice has made her 6 calls this minute',
  );
  tally('audit walks past the per-reviewer limit', 1, later[1]!.status === 429 ? 0 : 1);
});

test('a reviewer holds at most 10 live inbox pages; the next is refused, and a closed one gives its slot back', async () => {
  const cookie = await inboxCookie(stack, 'carol');
  const { port } = new URL(stack.baseUrl);
  /** Opens the event stream; resolves with its status once the headers arrive, keeping it open. */
  const open = () =>
    new Promise<{ status: number; close: () => void }>((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port, path: '/inbox/events', headers: { cookie } }, (response) =>
        resolve({ status: response.statusCode ?? 0, close: () => request.destroy() }),
      );
      request.on('error', (error) => (error.message === 'socket hang up' ? undefined : reject(error)));
    });
  const streams = [];
  for (let i = 0; i < 10; i++) streams.push(await open());
  assert.ok(streams.every((stream) => stream.status === 200));
  const eleventh = await open();
  assert.equal(eleventh.status, 429);
  eleventh.close();
  streams.pop()!.close();
  let reopened = await open();
  for (let tries = 0; reopened.status === 429 && tries < 20; tries++) {
    reopened.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    reopened = await open();
  }
  assert.equal(reopened.status, 200, 'the closed page gave its slot back');
  for (const stream of [...streams, reopened]) stream.close();
  tally('live inbox pages past the per-reviewer bound', 1, eleventh.status === 429 ? 0 : 1);
});

// The long-poll's wake-up channel (store/status-changes.ts) against a real PostgreSQL: it wakes
// the right watchers, keeps a change that lands before the wait, wakes every watcher when a
// dropped connection is replaced (what changed in between was not announced), and closes that
// connection instead of handing a LISTENing session back to the pool.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createPool } from '../../store/pool';
import { listenForStatusChanges } from '../../store/status-changes';
import { waitFor } from '../../tools/harness/process-harness';
import { requiredEnv } from '../support/stack';

const pool = createPool(requiredEnv('TEST_DATABASE_URL'));
after(() => pool.end());

/** Backend pids of this database's sessions whose last statement was our LISTEN. */
async function listeners(): Promise<number[]> {
  const { rows } = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN request_status'`,
  );
  return rows.map((row) => row.pid);
}

const notify = (requestId: string) => pool.query(`SELECT pg_notify('request_status', $1)`, [requestId]);

/** How long a wait took, in milliseconds. */
async function timed(wait: Promise<unknown>): Promise<number> {
  const started = Date.now();
  await wait;
  return Date.now() - started;
}

test('a notification wakes the watchers of that request only, a change before the wait is kept, a replaced connection wakes every watcher, close() ends the session', async () => {
  const changes = listenForStatusChanges(pool);
  const [pid] = await waitFor('the LISTEN session', async () => (await listeners()).length === 1 && listeners());

  const watchA = changes.watch('req-a');
  const watchB = changes.watch('req-b');
  const woken = watchA.next(10_000);
  const other = watchB.next(1_500);
  await notify('req-a');
  assert.ok((await timed(woken)) < 5_000, 'req-a was woken by its notification, not by its 10 s cap');
  assert.ok((await timed(other)) >= 1_000, 'req-b waited for its own cap');

  // A change announced while the watcher was busy (reading the request) is kept for its next wait.
  await notify('req-a');
  await waitFor('the notification to arrive', async () => {
    const started = Date.now();
    await watchA.next(50);
    return Date.now() - started < 40;
  });
  watchA.close();
  watchB.close();

  // The server ends the session (PostgreSQL restarting, an operator): no crash, a new session, and
  // every watcher woken once it listens, since changes in between were not announced.
  const acrossTheGap = changes.watch('req-gap');
  const woken2 = acrossTheGap.next(30_000);
  await pool.query('SELECT pg_terminate_backend($1)', [pid]);
  const [replacement] = await waitFor('a new LISTEN session', async () => {
    const pids = await listeners();
    return pids.length === 1 && pids[0] !== pid && pids;
  });
  assert.ok((await timed(woken2)) < 10_000, 'woken by the new session, not by its 30 s cap');
  acrossTheGap.close();
  const watchC = changes.watch('req-c');
  const afterReconnect = watchC.next(10_000);
  await notify('req-c');
  assert.ok((await timed(afterReconnect)) < 5_000, 'notifications arrive on the new session');
  watchC.close();

  const watchD = changes.watch('req-d');
  const pending = watchD.next(60_000);
  await changes.close();
  assert.ok((await timed(pending)) < 1_000, 'close() releases every watcher');
  assert.equal(await pending, false, 'and tells it no more news will come');
  assert.equal(await watchD.next(60_000), false, 'at once, from then on');
  await waitFor(
    'the LISTEN session to end',
    async () => (await pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [replacement])).rowCount === 0,
    5_000,
  );
  assert.equal(pool.totalCount - pool.idleCount, 0, 'no connection is left checked out');
});

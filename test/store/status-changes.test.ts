// The long-poll's wake-up channel (store/status-changes.ts) against a real PostgreSQL: it wakes
// the right waiters, survives the server dropping its connection, and closes that connection
// instead of handing a LISTENing session back to the pool.
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
async function timed(wait: Promise<void>): Promise<number> {
  const started = Date.now();
  await wait;
  return Date.now() - started;
}

test('a notification wakes the waiters of that request only; a dropped connection is replaced; close() ends the session', async () => {
  const changes = listenForStatusChanges(pool);
  const [pid] = await waitFor('the LISTEN session', async () => (await listeners()).length === 1 && listeners());

  const woken = changes.next('req-a', 10_000);
  const other = changes.next('req-b', 1_500);
  await notify('req-a');
  assert.ok((await timed(woken)) < 5_000, 'req-a was woken by its notification, not by its 10 s cap');
  assert.ok((await timed(other)) >= 1_000, 'req-b waited for its own cap');

  // The server ends the session (PostgreSQL restarting, an operator): no crash, a new session.
  await pool.query('SELECT pg_terminate_backend($1)', [pid]);
  const [replacement] = await waitFor('a new LISTEN session', async () => {
    const pids = await listeners();
    return pids.length === 1 && pids[0] !== pid && pids;
  });
  const afterReconnect = changes.next('req-c', 10_000);
  await notify('req-c');
  assert.ok((await timed(afterReconnect)) < 5_000, 'notifications arrive on the new session');

  const pending = changes.next('req-d', 60_000);
  await changes.close();
  assert.ok((await timed(pending)) < 1_000, 'close() releases every waiter');
  await waitFor(
    'the LISTEN session to end',
    async () => (await pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [replacement])).rowCount === 0,
    5_000,
  );
  assert.equal(pool.totalCount - pool.idleCount, 0, 'no connection is left checked out');
});

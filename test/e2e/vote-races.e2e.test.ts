// Votes racing the workflow, as they do when workers crash under load (the cluster suite found
// both). Real workers and Temporal; real PostgreSQL locks and records set the races up.
//
// 1. Two votes whose directory look-ups would finish in the opposite order to the one they
//    started in. Had they run at once, a replay (another worker, after a crash) could resume them
//    in another order than live and stick the request on a nondeterminism error; they run one at
//    a time, so the first vote to arrive is the first counted, live and on replay.
// 2. An API vote for a stage the workflow has not opened (again) yet: its record says the stage is
//    open because the task that opened it wrote the record and was then lost with its worker. The
//    vote must wait for the stage, not be refused and lost.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client as PgClient } from 'pg';
import { call, submitBody, submitPending, waitForRequest, waitForStatus } from '../support/api';
import { recordHistories } from '../support/histories';
import { replayFailures } from '../support/replay';
import { type TestStack, requiredEnv, startTestStack } from '../support/stack';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: reads
    when: sql.readOnly
    effect: allow
`;

/** A reviewer admitted by single sign-on: the look-up of its groups reads sso_reviewers. */
const SLOW_REVIEWER = 'sso.vote-races-slow';

let stack: TestStack;
let target: PgClient;
/** Replay fixtures this file records (RECORD_HISTORIES=1). */
const fixtures = new Map<string, string>();

before(async () => {
  stack = await startTestStack(POLICY);
  await stack.pool.query(
    `INSERT INTO sso_reviewers (id, subject, groups, signed_in_at, valid_until)
     VALUES ($1, 'slow', '{dba}', now(), now() + interval '1 hour')
     ON CONFLICT (id) DO UPDATE SET valid_until = EXCLUDED.valid_until`,
    [SLOW_REVIEWER],
  );
  target = new PgClient({ connectionString: requiredEnv('TEST_TARGET_DATABASE_URL') });
  await target.connect();
  await target.query(`
    DROP TABLE IF EXISTS vote_races;
    CREATE TABLE vote_races (id int PRIMARY KEY, n int NOT NULL);
    INSERT INTO vote_races VALUES (1, 0), (2, 0);`);
});

after(async () => {
  await recordHistories(stack.settings.TEMPORAL_ADDRESS!, fixtures);
  await target?.query('DROP TABLE IF EXISTS vote_races').catch(() => undefined);
  await target?.end();
  await stack?.stop();
});

describe('votes racing the workflow', () => {
  test('two votes whose look-ups would finish out of order count in arrival order, and the history replays', async () => {
    const id = await submitPending(stack.app, 'UPDATE vote_races SET n = n + 1 WHERE id = 1', 'two votes at once');
    fixtures.set('votes-in-arrival-order', id);
    const handle = stack.client.workflow.getHandle(id);

    // Both signals reach the workflow in one task, the slow reviewer's first.
    await stack.stopWorkers();
    await handle.signal('approve', { reviewer: SLOW_REVIEWER });
    await handle.signal('approve', { reviewer: 'alice' });

    // The slow reviewer's look-up waits on this lock; alice's would be answered at once from the
    // principals file, but it waits its turn: nothing is counted while the first look-up hangs.
    const lock = new PgClient({ connectionString: requiredEnv('TEST_DATABASE_URL') });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE sso_reviewers IN ACCESS EXCLUSIVE MODE');
      await stack.startWorkers();
      await waitForRequest(stack.app, id, (view) => view.votes.length > 0, 'a vote counted', 2_000).then(
        (view) => assert.fail(`counted before the first look-up finished: ${JSON.stringify(view.votes)}`),
        (error: Error) => assert.match(error.message, /not a vote counted/),
      );
    } finally {
      await lock.query('COMMIT');
      await lock.end();
    }

    const done = await waitForStatus(stack.app, id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(
      done.votes.map((vote) => vote.reviewer),
      [SLOW_REVIEWER],
    );
    await handle.result();
    const ignored = await stack.pool.query(
      `SELECT 1 FROM audit_events WHERE request_id = $1 AND kind = 'vote_ignored' AND actor = 'alice'`,
      [id],
    );
    assert.equal(ignored.rowCount, 1, "alice's vote, after the decision, is recorded as ignored");
    const { replayed, failures } = await replayFailures([{ workflowId: id, history: await handle.fetchHistory() }]);
    assert.equal(replayed, 1);
    assert.deepEqual(failures, []);
  });

  test('an API vote for a stage the workflow has not reopened yet waits for it and counts', async () => {
    // No worker runs the workflow yet, and its record is set to where a lost task had left it.
    await stack.stopWorkers();
    const submitted = await call(
      stack.app,
      'POST',
      '/v1/requests',
      'agent',
      submitBody('UPDATE vote_races SET n = n + 1 WHERE id = 2', 'record ahead of the workflow'),
    );
    assert.equal(submitted.status, 202, submitted.raw);
    const id = submitted.body.id;
    fixtures.set('early-api-vote-waited', id);
    await stack.pool.query(`UPDATE requests SET status = 'pending_approval', approval = '{"stage": 1}' WHERE id = $1`, [
      id,
    ]);

    const approving = call(stack.app, 'POST', `/v1/requests/${id}/approve`, 'alice', { comment: 'early' });
    await stack.startWorkers();
    const approved = await approving;
    assert.equal(approved.status, 200, approved.raw);

    const done = await waitForStatus(stack.app, id, ['succeeded', 'failed', 'rejected']);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(
      done.votes.map((vote) => [vote.reviewer, vote.stage]),
      [['alice', 1]],
    );
    const rows = await target.query<{ n: number }>('SELECT n FROM vote_races WHERE id = 2');
    assert.equal(rows.rows[0]!.n, 1, 'the approved command ran once');
    const handle = stack.client.workflow.getHandle(id);
    await handle.result();
    const { failures } = await replayFailures([{ workflowId: id, history: await handle.fetchHistory() }]);
    assert.deepEqual(failures, []);
  });
});

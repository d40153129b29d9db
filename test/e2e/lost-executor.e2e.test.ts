// An executor that takes an approved command and dies before claiming it (here: a stand-in that
// never answers nor heartbeats, as a killed process would) costs the request nothing: the command
// never started, so the workflow hands it to another executor, which runs it once. Patch
// 'retry-unclaimed-execution'; before it, such a request ended `failed`.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { Client as PgClient } from 'pg';
import { loadTargets } from '../../config/targets';
import { hasExited } from '../../tools/stack/child-exit';
import { createWorkers } from '../../worker/create-workers';
import { call, submitBody, waitForStatus } from '../support/api';
import { recordHistories } from '../support/histories';
import { type TestStack, requiredEnv, startTestStack } from '../support/stack';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules: []
`;

let stack: TestStack;
let target: PgClient;
let connection: NativeConnection;

before(async () => {
  // The stack's own workers are the orchestrator only: the test decides who serves the executor queue.
  stack = await startTestStack(POLICY, { env: { WORKER_ROLE: 'orchestrator' } });
  target = new PgClient({ connectionString: requiredEnv('TEST_TARGET_DATABASE_URL') });
  await target.connect();
  await target.query('DROP TABLE IF EXISTS handouts; CREATE TABLE handouts (tag text NOT NULL)');
  connection = await NativeConnection.connect({ address: stack.settings.TEMPORAL_ADDRESS! });
});

after(async () => {
  await target?.end();
  await stack?.stop();
  await connection?.close();
});

/** Submits an insert of `tag` into handouts, which waits for a dba; returns its id. */
async function pendingInsert(tag: string, reason: string): Promise<string> {
  const submitted = await call(
    stack.app,
    'POST',
    '/v1/requests',
    'agent',
    submitBody(`INSERT INTO handouts VALUES ('${tag}')`, reason),
  );
  assert.equal(submitted.status, 202, submitted.raw);
  await waitForStatus(stack.app, submitted.body.id, ['pending_approval']);
  return submitted.body.id;
}

test(
  'a command lost before any executor claimed it is handed to another executor and runs once',
  { timeout: 180_000 },
  async () => {
    // Takes the command, then goes silent; killed with SIGKILL once it has it.
    const silent = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../support/silent-executor.ts')], {
      env: {
        PATH: process.env.PATH,
        TEMPORAL_ADDRESS: stack.settings.TEMPORAL_ADDRESS!,
        TEMPORAL_NAMESPACE: stack.settings.TEMPORAL_NAMESPACE,
        TEMPORAL_TASK_QUEUE: stack.settings.TEMPORAL_TASK_QUEUE,
        PAYLOAD_KEYS: stack.settings.PAYLOAD_KEYS!.map(({ id, key }) => `${id}:${key.toString('base64')}`).join(','),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let said = '';
    silent.stdout!.on('data', (chunk: Buffer) => (said += chunk.toString()));
    const saying = async (words: string) => {
      for (let waited = 0; !said.includes(words); waited += 100) {
        if (hasExited(silent) || waited > 60_000) throw new Error(`the silent executor never said "${words}": ${said}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await saying('polling');

    const id = await pendingInsert('once', 'handout');
    const approved = await call(stack.app, 'POST', `/v1/requests/${id}/approve`, 'alice', {});
    assert.equal(approved.status, 200, approved.raw);
    await saying(`took ${id}`);
    silent.kill('SIGKILL');

    // A real executor comes up; the lost hand-out's heartbeat timeout (30 s) gives the command to it.
    const [executor] = await createWorkers({
      settings: { ...stack.settings, WORKER_ROLE: 'executor' },
      connection,
      pool: stack.pool,
      targets: loadTargets(stack.settings.TARGETS_FILE),
    });
    const done = await executor!.runUntil(
      waitForStatus(stack.app, id, ['succeeded', 'failed', 'outcome_unknown'], 90_000),
    );
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal((await target.query("SELECT count(*)::int AS n FROM handouts WHERE tag = 'once'")).rows[0].n, 1);

    const { events } = await stack.client.workflow.getHandle(id).fetchHistory();
    const handouts = (events ?? []).filter(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'executeCommand',
    );
    assert.equal(handouts.length, 2, 'handed out twice: to the one that died, then to the one that ran it');
    assert.ok(
      (events ?? []).some((event) => event.activityTaskTimedOutEventAttributes),
      'the first hand-out ended by its heartbeat timeout',
    );
    const claims = await stack.pool.query('SELECT count(*)::int AS n FROM executions WHERE request_id = $1', [id]);
    assert.equal(claims.rows[0].n, 1, 'one claim: the executor that ran it');
    await recordHistories(stack.settings.TEMPORAL_ADDRESS!, new Map([['lost-executor-handed-out-again', id]]));
  },
);

test(
  "a command the executor will not run ends failed with the executor's reason, recorded on its ledger",
  { timeout: 60_000 },
  async () => {
    // An executor configured without the request's target (another zone's file), as the API's has it.
    const [executor] = await createWorkers({
      settings: { ...stack.settings, WORKER_ROLE: 'executor' },
      connection,
      pool: stack.pool,
      targets: new Map(),
    });
    const { id, done } = await executor!.runUntil(async () => {
      const id = await pendingInsert('never', 'a zone without it');
      assert.equal((await call(stack.app, 'POST', `/v1/requests/${id}/approve`, 'alice', {})).status, 200);
      return { id, done: await waitForStatus(stack.app, id, ['succeeded', 'failed', 'outcome_unknown']) };
    });
    const reason = 'unknown target "app-db": it is not configured on this executor';
    assert.equal(done.status, 'failed');
    assert.equal(done.error, reason);
    const ledger = await stack.pool.query('SELECT status, error, finished_at FROM executions WHERE request_id = $1', [
      id,
    ]);
    assert.equal(ledger.rows.length, 1, 'the refusal is on the ledger: the command is never handed out again');
    assert.equal(ledger.rows[0].status, 'failed');
    assert.equal(ledger.rows[0].error, reason);
    assert.ok(ledger.rows[0].finished_at);
    const audited = await stack.pool.query(
      "SELECT detail->>'error' AS error FROM audit_events WHERE request_id = $1 AND step = 'status:failed'",
      [id],
    );
    assert.deepEqual(audited.rows, [{ error: reason }], 'one failure, audited once');
    assert.equal((await target.query("SELECT count(*)::int AS n FROM handouts WHERE tag = 'never'")).rows[0].n, 0);
  },
);

// The whole path against the real dev server and real PostgreSQL: API → workflow → policy →
// votes → executor → records. No activity is mocked here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Client as PgClient } from 'pg';
import { createExecutorActivities } from '../../activities/executor';
import type { ExecutionOutcome, PrivilegedRequest } from '../../domain/request';
import { loadTargets } from '../../config/targets';
import { createGateMetrics } from '../../telemetry/gate-metrics';
import { decideUpdate, stateQuery } from '../../temporal/contract';
import type { ErrorBody, TimelineEntry } from '../../api/schemas';
import { type ApiResponse, call, rowsOf, submitBody, waitForStatus } from '../support/api';
import { eventually } from '../support/eventually';
import { recordHistories } from '../support/histories';
import { replayFailures } from '../support/replay';
import { type TestStack, capturedLogs, requiredEnv, startTestStack, testAuditKeys } from '../support/stack';
import { assertNoSecrets, leakPlaces } from '../support/leak-search';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
# A policy author's mistake, on purpose: next_ticket() advances a sequence.
safeFunctions: [next_ticket]
rules:
  - name: read-only
    when: sql.readOnly
    effect: allow
  - name: no-drop
    when: sql.kinds.exists(k, k == "drop")
    effect: deny
    reason: nobody drops tables here
  - name: expires-fast
    when: request.reason.startsWith("expire:")
    effect: require_approval
    approval: { groups: [dba], timeout: 2s, onTimeout: reject }
  - name: two-dbas
    when: request.reason.startsWith("quorum2:")
    effect: require_approval
    approval: { groups: [dba], quorum: 2, timeout: 1h }
  - name: writes
    when: "!sql.readOnly"
    effect: require_approval
    risk: high
    approval: { groups: [dba], timeout: 1h }
`;

let stack: TestStack;
let target: PgClient;
const startedIds: string[] = [];
/** Histories kept under test/histories as replay fixtures (RECORD_HISTORIES=1 writes them). */
const fixtures = new Map<string, string>();

async function submit(sql: string, reason = 'a test', who: 'agent' | 'erin' = 'agent') {
  const response = await call(stack.app, 'POST', '/v1/requests', who, submitBody(sql, reason));
  assert.equal(response.status, 202, response.raw);
  startedIds.push(response.body.id);
  return response.body;
}

async function balance(id: number): Promise<number> {
  const found = await target.query<{ balance: number }>('SELECT balance FROM accounts WHERE id = $1', [id]);
  return found.rows[0]!.balance;
}

async function executions(requestId: string): Promise<number> {
  const found = await stack.pool.query('SELECT 1 FROM executions WHERE request_id = $1', [requestId]);
  return found.rowCount ?? 0;
}

async function workflowCount(): Promise<number> {
  let count = 0;
  for await (const _ of stack.client.workflow.list({ query: `TaskQueue = '${stack.settings.TEMPORAL_TASK_QUEUE}'` }))
    count++;
  return count;
}

before(async () => {
  stack = await startTestStack(POLICY);
  target = new PgClient({ connectionString: requiredEnv('TEST_TARGET_DATABASE_URL') });
  await target.connect();
  await target.query(`
    DROP TABLE IF EXISTS accounts;
    CREATE TABLE accounts (id int PRIMARY KEY, owner text, email text, ssn text, card text, balance int NOT NULL);
    INSERT INTO accounts VALUES
      (1, 'Ada', 'ada@example.com', '078-05-1120', '4111 1111 1111 1111', 100),
      (2, 'Alan', 'alan@example.com', '219-09-9999', '5500-0000-0000-0004', 200),
      (3, 'Grace', 'grace@example.com', '457-55-5462', null, 300);`);
});

after(async () => {
  await target?.end();
  await stack?.stop();
});

describe('policy decides', () => {
  test('a read-only query is allowed at once and returns masked, capped rows', async () => {
    const request = await submit('SELECT id, owner, email, ssn, card FROM accounts ORDER BY id');
    fixtures.set('allowed-succeeded', request.id);
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.policy?.rule, 'read-only');
    assert.equal(done.result?.truncated, true, 'maxRows is 2 for this target');
    assert.deepEqual(rowsOf(done.result).rows, [
      { id: 1, owner: 'Ada', email: '[masked:email]', ssn: '[masked]', card: '[masked:card]' },
      { id: 2, owner: 'Alan', email: '[masked:email]', ssn: '[masked]', card: '[masked:card]' },
    ]);
  });

  test('the READ ONLY transaction stops a write the policy let through; statement_timeout stops long work', async () => {
    await target.query('CREATE SEQUENCE IF NOT EXISTS ticket_numbers');
    await target.query(
      "CREATE OR REPLACE FUNCTION next_ticket() RETURNS bigint LANGUAGE sql AS $$ SELECT nextval('ticket_numbers') $$",
    );
    const sneaky = await submit('SELECT next_ticket()');
    fixtures.set('allowed-failed-read-only', sneaky.id);
    const refused = await waitForStatus(stack.app, sneaky.id, ['succeeded', 'failed']);
    assert.equal(refused.policy?.rule, 'read-only', 'the policy lists next_ticket as safe');
    assert.equal(refused.status, 'failed');
    assert.match(refused.error ?? '', /read-only transaction/);
    const slow = await submit('SELECT count(*) FROM generate_series(1, 10000000000)');
    const stopped = await waitForStatus(stack.app, slow.id, ['succeeded', 'failed']);
    assert.equal(stopped.status, 'failed');
    assert.match(stopped.error ?? '', /statement timeout/);
  });

  test('target sessions are reused, and the session state of one command never reaches the next', async () => {
    const run = async (sql: string) => {
      const request = await submit(sql);
      // Setting a session variable or taking a lock is not read-only: a reviewer lets it through.
      if (
        (await waitForStatus(stack.app, request.id, ['pending_approval', 'succeeded', 'failed'])).status ===
        'pending_approval'
      ) {
        await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'bob', {});
      }
      const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed']);
      assert.equal(done.status, 'succeeded', done.error ?? '');
      return rowsOf(done.result).rows[0] as { pid: number; path: string; locked?: boolean; locks?: number };
    };
    const first = await run(
      "SELECT pg_backend_pid() AS pid, set_config('application_name', 'leaked', false) AS path, pg_try_advisory_lock(4242) AS locked",
    );
    assert.equal(first.path, 'leaked');
    assert.equal(first.locked, true);
    const second = await run(
      "SELECT pg_backend_pid() AS pid, current_setting('application_name') AS path, (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS locks",
    );
    assert.equal(second.pid, first.pid, 'the second command ran in the same session');
    assert.notEqual(second.path, 'leaked', 'a session setting does not outlive its command');
    assert.equal(second.locks, 0, 'a session advisory lock does not outlive its command');
  });

  test('a deny rule never runs the command', async () => {
    const request = await submit('DROP TABLE accounts');
    fixtures.set('denied', request.id);
    const done = await waitForStatus(stack.app, request.id, ['denied', 'succeeded', 'failed']);
    assert.equal(done.status, 'denied');
    assert.equal(done.policy?.rule, 'no-drop');
    assert.equal(done.error, 'nobody drops tables here');
    assert.equal(await executions(request.id), 0);
    assert.equal((await target.query(`SELECT to_regclass('accounts') AS t`)).rows[0].t, 'accounts');
  });

  test('a data-modifying CTE is a write and waits for approval', async () => {
    const request = await submit('WITH gone AS (DELETE FROM accounts WHERE id = 3 RETURNING *) SELECT * FROM gone');
    const pending = await waitForStatus(stack.app, request.id, ['pending_approval', 'succeeded']);
    assert.equal(pending.status, 'pending_approval');
    assert.equal(pending.policy?.rule, 'writes');
    assert.deepEqual(pending.approval?.groups, ['dba']);
    assert.ok(Date.parse(pending.approval!.deadline) > Date.now());
    assert.equal(
      (await call(stack.app, 'POST', `/v1/requests/${request.id}/reject`, 'bob', { comment: 'no' })).status,
      200,
    );
  });

  test('a waiting request carries the search attributes reviewers filter on in the Web UI', async () => {
    const request = await submit('DELETE FROM accounts WHERE id = 4');
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    // The API starts the workflow without them; the workflow sets them with its first status. The
    // record of that status is written during the workflow task that upserts them, so the row can
    // say pending_approval a moment before the server has applied the task's commands.
    const handle = stack.client.workflow.getHandle(request.id);
    let described = await handle.describe();
    const attribute = (name: string) =>
      described.typedSearchAttributes.getAll().find((pair) => pair.key.name === name)?.value;
    await eventually(async () => {
      described = await handle.describe();
      return attribute('GateStatus') === 'pending_approval';
    }, 'the workflow task that set the search attributes completed');
    assert.equal(described.type, 'privilegedRequestV3');
    assert.deepEqual(['GateStatus', 'GateAgent', 'GateConnector', 'GateTarget', 'GateRisk'].map(attribute), [
      'pending_approval',
      request.agent,
      'postgres',
      'app-db',
      'high',
    ]);
    // What a reviewer types into the Web UI's filter finds it (visibility is written asynchronously).
    const query = `GateStatus = 'pending_approval' AND GateAgent = '${request.agent}' AND GateRisk = 'high' AND WorkflowId = '${request.id}'`;
    let found = 0;
    for (let attempt = 0; attempt < 50 && found === 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      found = 0;
      for await (const _ of stack.client.workflow.list({ query })) found++;
    }
    assert.equal(found, 1);
    assert.equal(
      (await call(stack.app, 'POST', `/v1/requests/${request.id}/reject`, 'bob', { comment: 'no' })).status,
      200,
    );
  });
});

describe('approval', () => {
  test('a write waits, is approved through the API, runs once and really changes the row', async () => {
    const request = await submit('UPDATE accounts SET balance = balance + 10 WHERE id = 1');
    fixtures.set('approved-via-api', request.id);
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    assert.equal(await balance(1), 100, 'nothing runs before approval');
    const approved = await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'alice', {
      comment: 'looks right',
    });
    assert.equal(approved.status, 200, approved.raw);
    assert.deepEqual(
      approved.body.votes.map((v) => [v.reviewer, v.decision, v.channel, v.verified]),
      [['alice', 'approve', 'api', true]],
    );
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(rowsOf(done.result).rowCount, 1);
    assert.equal(await balance(1), 110);
    assert.equal(await executions(request.id), 1);

    const again = await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'bob', {});
    assert.equal(again.status, 409, 'a decision after the request is decided');
  });

  test('a reviewer approves by sending the approve signal (the Web UI / CLI path)', async () => {
    const request = await submit('UPDATE accounts SET balance = balance + 1 WHERE id = 2');
    fixtures.set('approved-via-signal', request.id);
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    await promisify(execFile)(requiredEnv('TEMPORAL_CLI_PATH'), [
      'workflow',
      'signal',
      '--address',
      stack.settings.TEMPORAL_ADDRESS!,
      '--workflow-id',
      request.id,
      '--name',
      'approve',
      '--input',
      JSON.stringify({ reviewer: 'carol', comment: 'from the UI' }),
    ]);
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.deepEqual(
      done.votes.map((v) => [v.reviewer, v.channel, v.verified, v.comment]),
      [['carol', 'temporal', false, 'from the UI']],
    );
    assert.equal(await balance(2), 201);
  });

  test('signals from a non-reviewer, an ineligible reviewer or with a malformed payload are not counted', async () => {
    const request = await submit('UPDATE accounts SET balance = balance + 1000 WHERE id = 3');
    fixtures.set('ignored-signals-then-rejected', request.id);
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    const handle = stack.client.workflow.getHandle(request.id);
    await handle.signal('approve', { reviewer: 'billing-agent' });
    await handle.signal('approve', { reviewer: 'dave' });
    await handle.signal('approve', { reviewer: 42 });
    await handle.signal('approve', 'alice');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const still = await waitForStatus(stack.app, request.id, ['pending_approval']);
    assert.deepEqual(still.votes, []);
    const ignored = await stack.pool.query(
      `SELECT detail->>'refusal' AS refusal FROM audit_events WHERE request_id = $1 AND kind = 'vote_ignored'`,
      [request.id],
    );
    assert.equal(ignored.rowCount, 4, 'each ignored vote is audited');
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${request.id}/reject`, 'alice', {})).status, 200);
  });

  test('reject never runs the command', async () => {
    const request = await submit('UPDATE accounts SET balance = 0 WHERE id = 2');
    fixtures.set('rejected', request.id);
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    const rejected = await call(stack.app, 'POST', `/v1/requests/${request.id}/reject`, 'bob', {
      comment: 'not today',
    });
    assert.equal(rejected.status, 200);
    const done = await waitForStatus(stack.app, request.id, ['rejected']);
    assert.equal(done.votes[0]?.decision, 'reject');
    assert.equal(await executions(request.id), 0);
    assert.notEqual(await balance(2), 0);
  });

  test('an approval that times out expires and never runs', async () => {
    const request = await submit('UPDATE accounts SET balance = -1 WHERE id = 1', 'expire: nobody answers');
    fixtures.set('expired', request.id);
    const done = await waitForStatus(stack.app, request.id, ['expired', 'succeeded'], 20_000);
    assert.equal(done.status, 'expired');
    assert.equal(await executions(request.id), 0);
    assert.notEqual(await balance(1), -1);
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'alice', {})).status, 409);
  });

  test('quorum 2 needs two distinct reviewers', async () => {
    const request = await submit('UPDATE accounts SET owner = $$Ada L.$$ WHERE id = 1', 'quorum2: rename');
    fixtures.set('quorum-of-two', request.id);
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'alice', {})).status, 200);
    const twice = await call<ErrorBody>(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'alice', {});
    assert.equal(twice.status, 409);
    assert.equal(twice.body.error, 'AlreadyVoted');
    assert.equal((await waitForStatus(stack.app, request.id, ['pending_approval'])).votes.length, 1);
    const live = await stack.client.workflow.getHandle(request.id).query(stateQuery);
    assert.equal(live.status, 'pending_approval');
    assert.deepEqual(
      live.votes.map((v) => v.reviewer),
      ['alice'],
    );
    assert.equal(live.decision?.approval?.stages[0]?.quorum, 2);
    assert.ok(live.approval?.deadline);
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'bob', {})).status, 200);
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.deepEqual(
      done.votes.map((v) => v.reviewer),
      ['alice', 'bob'],
    );
  });

  test('the requester, an ineligible reviewer and an agent get 403', async () => {
    const request = await submit('UPDATE accounts SET balance = 5 WHERE id = 3', 'erin runs this herself', 'erin');
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    const self = await call<ErrorBody>(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'erin', {});
    assert.equal(self.status, 403);
    assert.equal(self.body.error, 'SelfApproval');
    const ineligible = await call<ErrorBody>(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'dave', {});
    assert.equal(ineligible.status, 403);
    assert.equal(ineligible.body.error, 'NotEligible');
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'agent', {})).status, 403);
    const view = await waitForStatus(stack.app, request.id, ['pending_approval']);
    assert.deepEqual(view.votes, []);
    const refused = await stack.pool.query(
      `SELECT reviewer FROM votes WHERE request_id = $1 AND state = 'refused' ORDER BY reviewer`,
      [request.id],
    );
    assert.deepEqual(
      refused.rows.map((r) => r.reviewer),
      ['dave', 'erin'],
    );
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${request.id}/reject`, 'alice', {})).status, 200);
  });

  test('the requesting agent cancels a pending request; nobody else can', async () => {
    const request = await submit('UPDATE accounts SET balance = 7 WHERE id = 3');
    fixtures.set('cancelled', request.id);
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${request.id}/cancel`, 'otherAgent')).status, 404);
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${request.id}/cancel`, 'alice')).status, 403);
    const cancelled = await call(stack.app, 'POST', `/v1/requests/${request.id}/cancel`, 'agent');
    assert.equal(cancelled.status, 200, cancelled.raw);
    assert.equal(cancelled.body.status, 'cancelled');
    // Asked again, a cancel gets the same answer: an agent retrying after a lost answer is not misled.
    const again = await call(stack.app, 'POST', `/v1/requests/${request.id}/cancel`, 'agent');
    assert.equal(again.status, 200, again.raw);
    assert.equal(again.body.status, 'cancelled');
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'alice', {})).status, 409);
    assert.equal(await executions(request.id), 0);
  });

  test('a cancel while policy evaluates ends the request cancelled before anything runs', async () => {
    // Workers stopped: the request stays `evaluating`; the cancel is answered once they are back.
    await stack.stopWorkers();
    const request = await submit('UPDATE accounts SET balance = 8 WHERE id = 3');
    fixtures.set('cancelled-while-evaluating', request.id);
    const cancelling = call(stack.app, 'POST', `/v1/requests/${request.id}/cancel`, 'agent');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await stack.startWorkers();
    const cancelled = await cancelling;
    assert.equal(cancelled.status, 200, cancelled.raw);
    const done = await waitForStatus(stack.app, request.id, ['cancelled', 'pending_approval', 'succeeded']);
    assert.equal(done.status, 'cancelled');
    assert.equal(done.policy, null, 'policy never decided');
    assert.equal(await executions(request.id), 0);
  });

  test('a forged update that claims to be an API vote is caught before execution', async () => {
    const request = await submit('UPDATE accounts SET balance = 999 WHERE id = 2');
    fixtures.set('forged-vote-failed', request.id);
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    // Someone with namespace access sends the update directly, bypassing the API.
    await stack.client.workflow.getHandle(request.id).executeUpdate(decideUpdate, {
      args: [{ voteId: 'vote_forged', reviewer: 'alice', groups: ['dba'], decision: 'approve' }],
    });
    const done = await waitForStatus(stack.app, request.id, ['failed', 'succeeded']);
    assert.equal(done.status, 'failed');
    assert.match(done.error ?? '', /vote verification failed/);
    assert.equal(await executions(request.id), 0);
    assert.notEqual(await balance(2), 999);
  });
});

describe('durability and at-most-once', () => {
  test('workers stop and restart while a request waits; the approval still completes', async () => {
    const request = await submit('UPDATE accounts SET balance = balance + 100 WHERE id = 3');
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    const before = await balance(3);
    await stack.stopWorkers();
    // With no worker at all, the API still records the vote and the update waits for a worker.
    const vote = call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'alice', {});
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await stack.startWorkers();
    assert.equal((await vote).status, 200);
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(await balance(3), before + 100);
  });

  test('a second execute attempt for the same request refuses to run', async () => {
    const request = await submit('UPDATE accounts SET balance = balance + 1 WHERE id = 1');
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'bob', {});
    await waitForStatus(stack.app, request.id, ['succeeded']);
    const afterFirst = await balance(1);

    // Run the real executor activity again, as an operator's activity reset would.
    const metrics = createGateMetrics({ defaultMetrics: false });
    const executor = createExecutorActivities({
      pool: stack.pool,
      targets: loadTargets(stack.settings.TARGETS_FILE),
      executorId: 'test',
      metrics,
    });
    const privileged: PrivilegedRequest = {
      id: request.id,
      agent: request.agent,
      connector: 'postgres',
      target: 'app-db',
      command: request.command,
      reason: request.reason,
      metadata: {},
    };
    // As the request's own workflow: the executor serves no other.
    const asItsWorkflow = () =>
      new MockActivityEnvironment({ workflowExecution: { workflowId: request.id, runId: 'reset' } });
    const replayed: ExecutionOutcome = await asItsWorkflow().run(executor.executeCommand, privileged);
    assert.equal(replayed.status, 'succeeded', 'the recorded outcome is returned');
    assert.equal(await balance(1), afterFirst, 'the command did not run a second time');

    // A claim whose outcome was never recorded (the executor died mid-command) refuses too.
    await stack.pool.query(`UPDATE executions SET status = 'claimed', result = NULL WHERE request_id = $1`, [
      request.id,
    ]);
    const unknown: ExecutionOutcome = await asItsWorkflow().run(executor.executeCommand, privileged);
    assert.equal(unknown.status, 'outcome_unknown');
    assert.equal(await balance(1), afterFirst);
    const executions = await metrics.registry.getSingleMetric('approval_gate_executions_total')!.get();
    assert.deepEqual(
      executions.values.map(({ labels, value }) => ({ ...labels, value })),
      [{ target: 'app-db', outcome: 'repeat', value: 2 }],
      'both attempts are counted as repeats, not as runs',
    );
  });
});

describe('the API refuses bad input and starts nothing', () => {
  test('bad bodies, tokens and SQL get 4xx and no workflow or row', async () => {
    const workflowsBefore = await workflowCount();
    const rowsBefore = (await stack.pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n as number;
    const cases: [string, Promise<ApiResponse<ErrorBody>>, number][] = [
      ['no token', call(stack.app, 'POST', '/v1/requests', null, submitBody('SELECT 1')), 401],
      [
        'wrong token',
        call(stack.app, 'POST', '/v1/requests', null, submitBody('SELECT 1'), { authorization: 'Bearer nope' }),
        401,
      ],
      [
        'missing reason',
        call(stack.app, 'POST', '/v1/requests', 'agent', {
          connector: 'postgres',
          target: 'app-db',
          command: { sql: 'SELECT 1' },
        }),
        400,
      ],
      [
        'unknown connector',
        call(stack.app, 'POST', '/v1/requests', 'agent', submitBody('SELECT 1', 'x', { connector: 'oracle' })),
        400,
      ],
      [
        'a connector the target does not take',
        call(stack.app, 'POST', '/v1/requests', 'agent', submitBody('SELECT 1', 'x', { connector: 'mysql' })),
        400,
      ],
      [
        'extra field',
        call(stack.app, 'POST', '/v1/requests', 'agent', submitBody('SELECT 1', 'x', { sneaky: true })),
        400,
      ],
      [
        'sql not a string',
        call(stack.app, 'POST', '/v1/requests', 'agent', { ...submitBody('x'), command: { sql: 42 } }),
        400,
      ],
      [
        'sql that does not parse',
        call(stack.app, 'POST', '/v1/requests', 'agent', submitBody('SELEC * FROM accounts')),
        400,
      ],
      [
        'not JSON',
        call(stack.app, 'POST', '/v1/requests', 'agent', '{"connector":', { 'content-type': 'application/json' }),
        400,
      ],
      [
        'oversized body',
        call(stack.app, 'POST', '/v1/requests', 'agent', submitBody(`SELECT '${'x'.repeat(70_000)}'`)),
        413,
      ],
      [
        'bad idempotency key',
        call(stack.app, 'POST', '/v1/requests', 'agent', submitBody('SELECT 1'), { 'idempotency-key': 'é'.repeat(3) }),
        400,
      ],
      ['bad request id', call(stack.app, 'GET', '/v1/requests/../../etc', 'agent'), 404],
      ['malformed id', call(stack.app, 'GET', '/v1/requests/req_nope', 'agent'), 400],
    ];
    for (const [name, pending, expected] of cases) {
      const response = await pending;
      assert.equal(response.status, expected, `${name}: ${response.raw.slice(0, 300)}`);
      assert.equal(typeof response.body.message, 'string', `${name} explains itself`);
    }
    const parseError = await call<ErrorBody>(
      stack.app,
      'POST',
      '/v1/requests',
      'agent',
      submitBody('SELECT * FRM accounts'),
    );
    assert.match(parseError.body.message, /syntax error at or near "FRM" \(at character 10\)/);
    assert.equal(await workflowCount(), workflowsBefore);
    assert.equal((await stack.pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n, rowsBefore);
  });

  test('an idempotent resubmit returns the same request and starts no second workflow', async () => {
    const headers = { 'idempotency-key': `key-${Date.now()}` };
    const first = await call(
      stack.app,
      'POST',
      '/v1/requests',
      'agent',
      submitBody('SELECT count(*) FROM accounts'),
      headers,
    );
    assert.equal(first.status, 202);
    startedIds.push(first.body.id);
    const second = await call(
      stack.app,
      'POST',
      '/v1/requests',
      'agent',
      submitBody('SELECT count(*) FROM accounts'),
      headers,
    );
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
    const different = await call(stack.app, 'POST', '/v1/requests', 'agent', submitBody('SELECT 2'), headers);
    assert.equal(different.status, 422);
    // The start follows the answer (the submit outbox) and visibility lags behind it: wait for one.
    let runs = 0;
    for (let attempt = 0; attempt < 50 && runs === 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      runs = 0;
      for await (const _ of stack.client.workflow.list({ query: `WorkflowId = '${first.body.id}'` })) runs++;
    }
    assert.equal(runs, 1);
  });

  test('agents see only their own requests; lists page with a cursor', async () => {
    const mine = await submit('SELECT 1');
    assert.equal((await call(stack.app, 'GET', `/v1/requests/${mine.id}`, 'otherAgent')).status, 404);
    const theirs = await call<{ items: { agent: string }[] }>(stack.app, 'GET', '/v1/requests', 'otherAgent');
    assert.deepEqual(theirs.body.items, []);
    const page1 = await call<{ items: { id: string }[]; nextCursor: string | null }>(
      stack.app,
      'GET',
      '/v1/requests?limit=2',
      'agent',
    );
    assert.equal(page1.body.items.length, 2);
    assert.ok(page1.body.nextCursor);
    const page2 = await call<{ items: { id: string }[] }>(
      stack.app,
      'GET',
      `/v1/requests?limit=2&cursor=${page1.body.nextCursor}`,
      'agent',
    );
    assert.equal(page2.body.items.length, 2);
    assert.equal(new Set([...page1.body.items, ...page2.body.items].map((i) => i.id)).size, 4);
    const denied = await call<{ items: { status: string }[] }>(stack.app, 'GET', '/v1/requests?status=denied', 'alice');
    assert.ok(denied.body.items.length >= 1 && denied.body.items.every((i) => i.status === 'denied'));
  });

  test('readyz reports PostgreSQL and Temporal', async () => {
    const ready = await stack.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { ok: true, checks: { postgres: 'ok', temporal: 'ok' } });
  });

  test('the OpenAPI document describes the routes and is served at /docs', async () => {
    const spec = (await stack.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, unknown>;
    };
    for (const route of [
      '/v1/requests',
      '/v1/requests/{id}',
      '/v1/requests/{id}/approve',
      '/v1/requests/{id}/reject',
      '/v1/requests/{id}/cancel',
      '/readyz',
    ]) {
      assert.ok(spec.paths[route], `${route} is documented`);
    }
    assert.equal((await stack.app.inject({ method: 'GET', url: '/docs/' })).statusCode, 200);
  });
});

describe('records and history', () => {
  test('each audit chain links every row to the one before it, its first to its genesis', async () => {
    const heads = await stack.pool.query<{ chain: number; genesis_hash: string }>(
      'SELECT chain, genesis_hash FROM audit_chain_heads',
    );
    const genesis = new Map(heads.rows.map((head) => [head.chain, head.genesis_hash]));
    const { rows } = await stack.pool.query<{ chain: number; prev_hash: string; hash: string }>(
      'SELECT chain, prev_hash, hash FROM audit_events WHERE chain IS NOT NULL ORDER BY chain, seq',
    );
    assert.ok(rows.length > 20);
    assert.ok(new Set(rows.map((row) => row.chain)).size > 1, 'requests are spread over several chains');
    rows.forEach((row, index) =>
      assert.equal(
        row.prev_hash,
        rows[index - 1]?.chain === row.chain ? rows[index - 1]!.hash : genesis.get(row.chain),
      ),
    );
    await assert.rejects(stack.pool.query(`UPDATE audit_events SET kind = 'x'`), /append-only/);
  });

  test("GET /history tells each request's story from its workflow history, with the channel of every vote", async () => {
    type Timeline = { requestId: string; events: TimelineEntry[] };
    const story = async (name: string) => {
      const response = await call<Timeline>(stack.app, 'GET', `/v1/requests/${fixtures.get(name)}/history`, 'alice');
      assert.equal(response.status, 200, response.raw);
      return response.body.events.map((event) => [event.what, event.actor, event.channel].filter(Boolean).join(' '));
    };
    assert.deepEqual(await story('approved-via-api'), [
      'submitted billing-agent',
      'policy_decided',
      // Approval needed: the executor previews the impact, and policy decides again knowing it.
      'impact_previewed',
      'policy_decided',
      'status:pending_approval',
      'vote:approve alice api',
      'vote_counted:approve alice api',
      'status:approved alice api',
      'status:executing',
      'execution_started',
      'execution_succeeded',
      'status:succeeded',
      'finished',
    ]);
    const ignored = await story('ignored-signals-then-rejected');
    assert.deepEqual(
      ignored.filter((line) => line.startsWith('signal:')),
      [
        'signal:approve billing-agent temporal',
        'signal:approve dave temporal',
        'signal:approve temporal',
        'signal:approve temporal',
      ],
    );
    assert.equal(ignored.filter((line) => line.startsWith('vote_ignored:approve')).length, 4);
    assert.ok(ignored.includes('vote_counted:reject alice api'));
    assert.ok((await story('approved-via-signal')).includes('vote_counted:approve carol temporal'));
    assert.ok((await story('expired')).includes('deadline_passed'));
    assert.ok((await story('cancelled')).includes('update:cancel billing-agent api'));

    const allowed = await call<Timeline>(
      stack.app,
      'GET',
      `/v1/requests/${fixtures.get('allowed-succeeded')}/history`,
      'agent',
    );
    assert.equal(allowed.body.events.find((event) => event.what === 'policy_decided')?.detail?.effect, 'allow');
    assert.equal(
      (await call(stack.app, 'GET', `/v1/requests/${fixtures.get('allowed-succeeded')}/history`, 'otherAgent')).status,
      404,
      "another agent's request",
    );
    // Every request's timeline is fetched, so the leak test below also searches these responses.
    for (const id of startedIds)
      assert.equal((await call(stack.app, 'GET', `/v1/requests/${id}/history`, 'alice')).status, 200);
  });

  test('the target credential, the audit key and masked values appear in no history, response or record', async () => {
    const auditKey = testAuditKeys[0]!.key;
    const secrets = [
      requiredEnv('TEST_TARGET_PASSWORD'),
      requiredEnv('TEST_TARGET_DATABASE_URL'),
      '078-05-1120',
      'ada@example.com',
      '4111 1111 1111 1111',
      '5500-0000-0000-0004',
      auditKey.toString('base64'),
      auditKey.toString('hex'),
    ];
    const { places, histories } = await leakPlaces(stack, startedIds);
    assertNoSecrets(places, secrets);
    assert.ok(histories >= 15, 'the search covered the histories of this file');
    assert.ok(
      places.get('decrypted workflow payloads')!.includes('UPDATE accounts SET balance = balance + 10 WHERE id = 1'),
      'the payloads were decrypted before the search',
    );
    assert.ok(capturedLogs.length > 50, 'the search covered the logs');
  });

  test('every history recorded in this run replays against the current workflow code', async () => {
    const histories = await Promise.all(
      startedIds.map(async (workflowId) => ({
        workflowId,
        history: await stack.client.workflow.getHandle(workflowId).fetchHistory(),
      })),
    );
    const { replayed, failures } = await replayFailures(histories);
    assert.deepEqual(failures, []);
    assert.equal(replayed, startedIds.length);
    await recordHistories(stack.settings.TEMPORAL_ADDRESS!, fixtures);
  });
});

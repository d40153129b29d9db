// A submit is answered once the request and its audit row are committed; the API starts the
// workflow after that, and a sweep starts every recorded request whose start failed or never
// happened; votes and cancels Temporal did not take are delivered by sweeps in the same way. A real
// dev server (stopped and restarted) and PostgreSQL; nothing mocked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newRequestId } from '../../domain/ids';
import { type DevServer, type DevServerOptions, startDevServer } from '../../tools/stack/dev-server';
import { databaseUrl, dropDatabase, ensureDatabase } from '../../tools/stack/databases';
import { insertRequest } from '../../store/requests';
import type { ErrorBody } from '../../api/schemas';
import { call, submitBody, waitForStatus } from '../support/api';
import { eventually } from '../support/eventually';
import { createLinkSigner } from '../../notifications/links';
import { TEST_LINK_SECRET, type TestStack, ownDevServerOptions, requiredEnv, startTestStack } from '../support/stack';

const POLICY = `version: 1
default: { effect: allow }
rules:
  - name: reviewed
    when: request.reason.startsWith("review:")
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
    grant: { maxUses: 3, maxFor: 1h }
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('submits, votes and cancels that Temporal did not take at once', () => {
  let server: DevServer;
  let serverOptions: DevServerOptions;
  let stack: TestStack;
  // A database of its own: the sweeps start every unstarted request and deliver every unanswered
  // vote they find, and other tests leave such rows on purpose.
  const testDatabase = `${new URL(requiredEnv('TEST_DATABASE_URL')).pathname.slice(1)}_starts`;

  before(async () => {
    serverOptions = await ownDevServerOptions('starts');
    server = await startDevServer(serverOptions);
    await ensureDatabase(requiredEnv('TEST_DATABASE_URL'), testDatabase);
    stack = await startTestStack(POLICY, {
      temporalAddress: server.address,
      env: { DATABASE_URL: databaseUrl(requiredEnv('TEST_DATABASE_URL'), testDatabase) },
      workflowStarts: { sweepEveryMs: 200, graceMs: 500, retryAfterMs: 1_000 },
      redelivery: { everyMs: 200, graceMs: 500 },
    });
  });
  after(async () => {
    await stack?.stop();
    await server?.stop();
    await dropDatabase(requiredEnv('TEST_DATABASE_URL'), testDatabase);
  });

  const ranOnce = async (requestId: string) => {
    const done = await waitForStatus(stack.app, requestId, ['succeeded', 'failed'], 60_000);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    const steps = await stack.pool.query<{ step: string }>(
      'SELECT step FROM audit_events WHERE request_id = $1 ORDER BY seq',
      [requestId],
    );
    assert.deepEqual(
      steps.rows.map((row) => row.step),
      ['submitted', 'status:approved', 'status:executing', 'status:succeeded'],
    );
    const executions = await stack.pool.query('SELECT 1 FROM executions WHERE request_id = $1', [requestId]);
    assert.equal(executions.rowCount, 1);
  };

  test('a submit while the Temporal server is down is accepted, and runs once the server is back', async () => {
    await stack.stopWorkers();
    await server.stop();
    const response = await call(
      stack.app,
      'POST',
      '/v1/requests',
      'agent',
      submitBody('SELECT 11 AS eleven', 'while Temporal is down'),
    );
    assert.equal(response.status, 202, response.raw);
    // Policy allows it outright: recorded as executing at submit, for a workflow to hand to the executor.
    assert.equal(response.body.status, 'executing');
    await sleep(1_500); // the first start and a few sweeps fail meanwhile
    assert.equal((await call(stack.app, 'GET', `/v1/requests/${response.body.id}`, 'agent')).body.status, 'executing');
    server = await startDevServer(serverOptions);
    await stack.startWorkers();
    await ranOnce(response.body.id);
  });

  test('requests recorded but never started (their API stopped in between) are started by the sweep', async () => {
    const orphan = (sql: string) => ({
      id: newRequestId(),
      agent: 'billing-agent',
      connector: 'postgres' as const,
      target: 'app-db',
      command: { sql },
      reason: 'orphaned by a crash',
      metadata: {},
    });
    // One still evaluating, one policy allowed at submit (recorded executing, no executor's claim).
    const [evaluating, allowed] = [orphan('SELECT 12 AS twelve'), orphan('SELECT 13 AS thirteen')];
    await insertRequest(stack.pool, evaluating);
    const decision = { effect: 'allow', rule: 'reads', explanation: 'read-only', version: 'test' } as const;
    await insertRequest(stack.pool, allowed, decision);
    await ranOnce(evaluating.id);
    await ranOnce(allowed.id);
  });

  test('votes Temporal does not take (by API with a grant, by link) are recorded and delivered by the sweep', async () => {
    const submitted = await call(stack.app, 'POST', '/v1/requests', 'agent', submitBody('SELECT 13', 'review: a vote'));
    assert.equal(submitted.status, 202, submitted.raw);
    const id = submitted.body.id as string;
    const byLink = await call(stack.app, 'POST', '/v1/requests', 'agent', submitBody('SELECT 14', 'review: a link'));
    const linked = byLink.body.id as string;
    await waitForStatus(stack.app, id, ['pending_approval']);
    await waitForStatus(stack.app, linked, ['pending_approval']);
    await stack.stopWorkers();
    await server.stop();
    const vote = await call<ErrorBody>(stack.app, 'POST', `/v1/requests/${id}/approve`, 'alice', {
      grant: { uses: 2, for: '30m' },
    });
    assert.equal(vote.status, 503, vote.raw);
    assert.equal(vote.body.error, 'vote_not_delivered');
    assert.match(vote.body.message, /recorded.*do not vote again/);
    const waiting = await stack.pool.query('SELECT state FROM votes WHERE request_id = $1 AND answered_at IS NULL', [
      id,
    ]);
    assert.deepEqual(waiting.rows, [{ state: 'submitted' }]);
    // A one-click link says the same, and stays used: the vote is on its way.
    const token = createLinkSigner(TEST_LINK_SECRET, 'http://gate.test').sign({
      requestId: linked,
      stage: 1,
      reviewer: 'bob',
      decision: 'approve',
      expiresAt: Date.now() + 600_000,
    });
    const clicked = await stack.app.inject({ method: 'POST', url: `/links/${token}` });
    assert.equal(clicked.statusCode, 202, clicked.body);
    assert.match(clicked.body, /Your vote is recorded/);
    assert.equal((await stack.app.inject({ method: 'POST', url: `/links/${token}` })).statusCode, 409);

    server = await startDevServer(serverOptions);
    await stack.startWorkers();
    const done = await waitForStatus(stack.app, id, ['succeeded', 'failed'], 60_000);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    const linkDone = await waitForStatus(stack.app, linked, ['succeeded', 'failed'], 60_000);
    assert.deepEqual(
      linkDone.votes.map((vote) => [vote.reviewer, vote.comment]),
      [['bob', 'decided through a one-click link']],
    );
    const readVotes = () =>
      stack.pool.query<{ id: string; answered: boolean }>(
        'SELECT id, reviewer, state, answered_at IS NOT NULL AS answered FROM votes WHERE request_id = $1',
        [id],
      );
    // The sweep records the answer once the update's reply reaches it; the request may have run by then.
    await eventually(
      async () => (await readVotes()).rows.every((vote) => vote.answered),
      `the vote on ${id} is answered`,
    );
    const votes = await readVotes();
    assert.deepEqual(
      votes.rows.map(({ id: _id, ...rest }) => rest),
      [{ reviewer: 'alice', state: 'counted', answered: true }],
    );
    // The grant asked for with the approval, made once it counted: one, with the vote's id.
    const grants = await stack.pool.query(
      'SELECT id, granted_by, max_uses, uses_left FROM grants WHERE source_request = $1',
      [id],
    );
    assert.deepEqual(grants.rows, [
      { id: `grant_${votes.rows[0]!.id.slice('vote_'.length)}`, granted_by: 'alice', max_uses: 2, uses_left: 2 },
    ]);
    const counted = await stack.pool.query(`SELECT 1 FROM audit_events WHERE request_id = $1 AND kind = 'vote'`, [id]);
    assert.equal(counted.rowCount, 1);
    const executions = await stack.pool.query('SELECT 1 FROM executions WHERE request_id = $1', [id]);
    assert.equal(executions.rowCount, 1);
  });

  test('cancels Temporal does not take are recorded and delivered by the sweep; nothing runs', async () => {
    const pending = await call(
      stack.app,
      'POST',
      '/v1/requests',
      'agent',
      submitBody('SELECT 15 FROM pg_class LIMIT 1', 'review: cancel'),
    );
    const pendingId = pending.body.id as string;
    await waitForStatus(stack.app, pendingId, ['pending_approval']);
    await stack.stopWorkers();
    await server.stop();
    // Submitted while Temporal is down: recorded, never started; the cancel must start it first.
    const unstarted = await call(
      stack.app,
      'POST',
      '/v1/requests',
      'agent',
      submitBody('SELECT 16 FROM pg_namespace LIMIT 1', 'review: unstarted'),
    );
    const unstartedId = unstarted.body.id as string;
    for (const id of [pendingId, unstartedId]) {
      const cancel = await call<ErrorBody>(stack.app, 'POST', `/v1/requests/${id}/cancel`, 'agent');
      assert.equal(cancel.status, 503, cancel.raw);
      assert.equal(cancel.body.error, 'cancel_not_delivered');
      assert.match(cancel.body.message, /recorded/);
    }
    const waiting = await stack.pool.query(
      'SELECT request_id FROM cancel_deliveries WHERE request_id = ANY($1) AND answered_at IS NULL ORDER BY request_id',
      [[pendingId, unstartedId]],
    );
    assert.deepEqual(
      waiting.rows.map((row: { request_id: string }) => row.request_id),
      [pendingId, unstartedId].sort(),
    );

    // Nobody asks again: the sweep delivers both once the server is back.
    server = await startDevServer(serverOptions);
    await stack.startWorkers();
    for (const id of [pendingId, unstartedId]) {
      assert.equal(
        (await waitForStatus(stack.app, id, ['cancelled', 'succeeded', 'failed'], 60_000)).status,
        'cancelled',
      );
      const ended = await stack.client.workflow.getHandle(id).result();
      assert.equal(ended, 'cancelled');
      // The sweep records the answer once the update's reply reaches it, which can be after the
      // workflow has already completed.
      const answered = async () =>
        (
          await stack.pool.query(
            'SELECT refusal FROM cancel_deliveries WHERE request_id = $1 AND answered_at IS NOT NULL',
            [id],
          )
        ).rows;
      await eventually(async () => (await answered()).length > 0, `the cancel of ${id} is answered`);
      assert.deepEqual(await answered(), [{ refusal: null }]);
      const steps = await stack.pool.query(
        `SELECT 1 FROM audit_events WHERE request_id = $1 AND step = 'status:cancelled'`,
        [id],
      );
      assert.equal(steps.rowCount, 1);
      const executions = await stack.pool.query('SELECT 1 FROM executions WHERE request_id = $1', [id]);
      assert.equal(executions.rowCount, 0);
    }
    // Asked again once delivered, the cancel gets the same answer.
    const again = await call(stack.app, 'POST', `/v1/requests/${pendingId}/cancel`, 'agent');
    assert.equal(again.status, 200, again.raw);
    assert.equal(again.body.status, 'cancelled');
  });
});

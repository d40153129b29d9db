// Stage deadlines are durable timers: stopping the workers, or the Temporal server itself,
// across a deadline ends in the same state as without the stop. Second-long timeouts, real
// processes, nothing mocked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RequestView } from '../../api/request-view';
import { type DevServer, type DevServerOptions, startDevServer } from '../../tools/stack/dev-server';
import { call, submitBody, waitForStage, waitForStatus } from '../support/api';
import { type TestStack, ownDevServerOptions, startTestStack } from '../support/stack';

const POLICY = `version: 1
default: { effect: allow }
rules:
  - name: escalates
    when: request.reason.startsWith("escalate:")
    effect: require_approval
    approval:
      stages:
        - { groups: [dba], timeout: 2s, onTimeout: escalate }
        - { groups: [dba-leads], timeout: 1h }
  - name: expires
    when: request.reason.startsWith("expire:")
    effect: require_approval
    approval: { groups: [dba], timeout: 2s, onTimeout: reject }
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function submitPair(stack: TestStack): Promise<{ escalating: RequestView; expiring: RequestView }> {
  const submitOne = async (reason: string) => {
    const response = await call(stack.app, 'POST', '/v1/requests', 'agent', submitBody('SELECT 7 AS seven', reason));
    assert.equal(response.status, 202, response.raw);
    return waitForStatus(stack.app, response.body.id, ['pending_approval']);
  };
  return { escalating: await submitOne('escalate: across a stop'), expiring: await submitOne('expire: across a stop') };
}

async function steps(stack: TestStack, requestId: string): Promise<string[]> {
  const found = await stack.pool.query<{ step: string }>(
    `SELECT step FROM audit_events WHERE request_id = $1 AND step NOT LIKE 'vote:%' ORDER BY seq`,
    [requestId],
  );
  return found.rows.map((row) => row.step);
}

/** After the stop: the first request is in stage 2 and can be approved there; the second expired. */
async function assertSameOutcomeAsWithoutStop(
  stack: TestStack,
  pair: { escalating: RequestView; expiring: RequestView },
) {
  const expired = await waitForStatus(stack.app, pair.expiring.id, ['expired', 'succeeded', 'failed']);
  assert.equal(expired.status, 'expired');
  const escalated = await waitForStage(stack.app, pair.escalating.id, 2);
  assert.equal(escalated.approval?.stage, 2, 'the stage-one deadline fired after the restart');
  assert.equal((await call(stack.app, 'POST', `/v1/requests/${pair.escalating.id}/approve`, 'lee', {})).status, 200);
  assert.equal((await waitForStatus(stack.app, pair.escalating.id, ['succeeded', 'failed'])).status, 'succeeded');
  assert.deepEqual(await steps(stack, pair.escalating.id), [
    'submitted',
    'impact:previewed',
    'status:pending_approval',
    'escalated:2',
    'status:approved',
    'status:executing',
    'status:succeeded',
  ]);
  assert.deepEqual(await steps(stack, pair.expiring.id), [
    'submitted',
    'impact:previewed',
    'status:pending_approval',
    'status:expired',
  ]);
}

describe('deadlines across a worker stop', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack(POLICY);
  });
  after(async () => {
    await stack?.stop();
  });

  test('workers down while both deadlines pass: after restart one request escalates, the other expires', async () => {
    const pair = await submitPair(stack);
    await stack.stopWorkers();
    await sleep(3_000);
    const during = (await call(stack.app, 'GET', `/v1/requests/${pair.expiring.id}`, 'alice')).body;
    assert.equal(during.status, 'pending_approval', 'nothing moves while no worker runs');
    await stack.startWorkers();
    await assertSameOutcomeAsWithoutStop(stack, pair);
  });
});

describe('deadlines across a Temporal server stop', () => {
  let server: DevServer;
  let serverOptions: DevServerOptions;
  let stack: TestStack;
  before(async () => {
    serverOptions = await ownDevServerOptions('restart');
    server = await startDevServer(serverOptions);
    stack = await startTestStack(POLICY, { temporalAddress: server.address });
  });
  after(async () => {
    await stack?.stop();
    await server?.stop();
  });

  test('server and workers down while both deadlines pass: timers fire after the restart', async () => {
    const pair = await submitPair(stack);
    await stack.stopWorkers();
    await server.stop();
    await sleep(3_000);
    server = await startDevServer(serverOptions);
    await stack.startWorkers();
    await assertSameOutcomeAsWithoutStop(stack, pair);
  });
});

// Class 4 (continued): a burst of the largest submits while Temporal lags. A submit is answered once
// recorded and its workflow start follows in the API's memory (ADR 010), so an agent sending bodies
// at the size limit faster than Temporal takes starts would make the API hold all of them. The
// attack succeeds if the API queues more bytes of starts than its bound, if a submit is refused or
// lost, or if a command runs twice. The Temporal server is the test's own, paused with SIGSTOP
// (it holds every call unanswered, as an overloaded one would); nothing is mocked.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type DevServer, startDevServer } from '../../tools/stack/dev-server';
import { createGateMetrics } from '../../telemetry/gate-metrics';
import { ownDevServerOptions } from '../support/stack';
import { type AttackStack, READS_ALLOWED_POLICY, send, startAttackStack, submitBody, tally, waitFor } from './support';

/** The API's bound on queued starts in this stack: small, so that a few dozen submits reach it. */
const MAX_WAITING_BYTES = 1024 * 1024;
/** A read just under the default 64 KiB body limit. */
const LARGE_READ = `SELECT '${'x'.repeat(60_000)}' AS padding`;
const SUBMITS = 40;

const metrics = createGateMetrics({ defaultMetrics: false });
let server: DevServer;
let stack: AttackStack;

before(async () => {
  server = await startDevServer(await ownDevServerOptions('start-backlog'));
  // The start sweep stays off (the run's database holds other tests' unstarted requests on
  // purpose): what the API did not queue stays unstarted until the agent retries.
  stack = await startAttackStack(READS_ALLOWED_POLICY, {
    temporalAddress: server.address,
    metrics,
    workflowStarts: { sweepEveryMs: 0, maxWaitingBytes: MAX_WAITING_BYTES },
  });
});
after(async () => {
  server?.resume();
  await stack?.stop();
  await server?.stop();
});

const deferredStarts = async () =>
  (await metrics.registry.getSingleMetric('approval_gate_workflow_starts_deferred_total')!.get()).values[0]?.value ?? 0;

const executionsOf = async (id: string) =>
  (await stack.admin.query('SELECT 1 FROM executions WHERE request_id = $1', [id])).rowCount;

test('starts beyond the byte bound are left in the records, and run once when the agent retries', async () => {
  const keys = Array.from({ length: SUBMITS }, (_, i) => `backlog-${Date.now()}-${i}`);
  const submit = (key: string) =>
    send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody(LARGE_READ, 'a burst of large reads'), {
      'idempotency-key': key,
    });

  server.pause();
  const ids: string[] = [];
  try {
    for (const key of keys) {
      const answer = await submit(key);
      assert.equal(answer.status, 202, answer.text);
      ids.push(answer.json<{ id: string }>().id);
    }
  } finally {
    server.resume();
  }

  // Each queued start holds at least its SQL, so the bound holds at most this many.
  const mostQueued = Math.floor(MAX_WAITING_BYTES / LARGE_READ.length);
  const deferred = await deferredStarts();
  assert.ok(deferred >= SUBMITS - mostQueued, `${deferred} starts deferred; the bound queues at most ${mostQueued}`);
  assert.ok(deferred < SUBMITS, 'the first starts fit the bound and were queued');

  // Submits are sequential, so the queued ones are the first: they run once Temporal answers.
  const queued = ids.slice(0, SUBMITS - deferred);
  const left = ids.slice(SUBMITS - deferred);
  for (const id of queued)
    assert.equal((await waitFor(stack, id, ['succeeded', 'failed'], 60_000)).status, 'succeeded');
  // The rest were recorded and never started: allowed, waiting for the start sweep, nothing ran.
  for (const id of left) {
    assert.equal((await waitFor(stack, id, ['executing'])).status, 'executing');
    assert.equal(await executionsOf(id), 0, `${id} ran without a start`);
  }

  // The agent retries with the same keys: the same requests, started now, each run once.
  for (const [i, key] of keys.entries()) {
    const answer = await submit(key);
    assert.equal(answer.json<{ id: string }>().id, ids[i]);
  }
  for (const id of ids) {
    assert.equal((await waitFor(stack, id, ['succeeded', 'failed'], 60_000)).status, 'succeeded');
    assert.equal(await executionsOf(id), 1, `${id} ran ${await executionsOf(id)} times`);
  }
  tally('a burst of the largest submits while Temporal lags', SUBMITS, Math.max(0, SUBMITS - deferred - mostQueued));
});

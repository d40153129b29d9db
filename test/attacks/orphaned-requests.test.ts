// Class 3, continued: someone with Temporal namespace access ends a request's workflow before the
// request ends. They terminate it while it waits for reviewers or for the executor, or, from a
// worker of theirs on the executor's queue, answer that the executor recorded the outcome (ADR
// 027's fast path, which ends the workflow without a look at the records). Nothing would move such
// a request again: the API's orphan sweep must end it on the records, and close the executor's
// ledger on its command, so that nothing runs it later.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ExecutedOutcome } from '../../temporal/contract';
import { createGateMetrics } from '../../telemetry/gate-metrics';
import { startRogueActivityWorker } from './rogue-worker';
import { type AttackStack, send, startAttackStack, submitBody, submitPending, tally, waitFor } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: orphan-break-glass
    when: has(request.metadata.incident) && request.metadata.incident == "INC-1"
    effect: allow
  - name: orphan-vault
    when: sql.tables == ["orphan_vault", "public.orphan_vault"]
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
`;

const ORPHANED = /^the request's workflow ended \(\w+\) before any executor ran the command; it did not run$/;
const FINAL = ['denied', 'rejected', 'expired', 'cancelled', 'succeeded', 'failed', 'outcome_unknown'];

let stack: AttackStack;
// The API's own counters: the workers count what they record apart, so here only the API's writes move them.
const apiMetrics = createGateMetrics({ defaultMetrics: false });
/**
 * This file's requests the API recorded `failed`, as its /metrics counts them: by their rules'
 * names, since the sweep also ends what other files left in the shared database.
 */
const failedCounted = async () =>
  (await apiMetrics.registry.getSingleMetric('approval_gate_request_transitions_total')!.get()).values
    .filter(({ labels }) => labels.status === 'failed' && String(labels.rule).startsWith('orphan-'))
    .reduce((sum, { value }) => sum + value, 0);

before(async () => {
  // The sweep at test speed: every half second, on requests quiet for a second.
  stack = await startAttackStack(POLICY, { orphans: { everyMs: 500, graceMs: 1_000 }, metrics: apiMetrics });
  await stack.target.query(
    'CREATE TABLE IF NOT EXISTS orphan_vault (id int PRIMARY KEY, gold int NOT NULL); INSERT INTO orphan_vault VALUES (1, 1000) ON CONFLICT DO NOTHING',
  );
});

after(() => stack.stop());

const TAKE_GOLD = 'UPDATE orphan_vault SET gold = gold - 100 WHERE id = 1';
const gold = async () =>
  (await stack.target.query<{ gold: number }>('SELECT gold FROM orphan_vault WHERE id = 1')).rows[0]!.gold;
const pending = (reason: string) => submitPending(stack, TAKE_GOLD, reason);
const approve = async (id: string) => {
  const approved = await send(stack.baseUrl, 'POST', `/v1/requests/${id}/approve`, 'alice', {});
  assert.ok(approved.status < 300, approved.text);
};
const terminate = (id: string) => stack.client.workflow.getHandle(id).terminate('the attacker ends it');
/** The request once the sweep has had time to end it, or as it stayed. */
const settled = (id: string) =>
  waitFor(stack, id, FINAL, 30_000).catch(
    async () => (await send(stack.baseUrl, 'GET', `/v1/requests/${id}`, 'alice')).json() as Record<string, unknown>,
  );
const ledgerRow = async (id: string) =>
  (
    await stack.admin.query<{ status: string; executor: string }>(
      'SELECT status, executor FROM executions WHERE request_id = $1',
      [id],
    )
  ).rows[0];

test('a request whose workflow was terminated ends failed on the records, and its command never runs', async () => {
  const before = await gold();
  const countedBefore = await failedCounted();
  // Waiting for reviewers; approved and waiting for the executor; allowed at submit and waiting for it.
  const waiting = await pending('terminated while waiting for reviewers');
  const approved = await pending('terminated while waiting for the executor');
  await stack.stopWorkers();
  await stack.startWorkers('orchestrator'); // no executor: the approved commands wait on its queue
  const ids: string[] = [];
  let ended: Record<string, unknown>[] = [];
  try {
    await approve(approved);
    await waitFor(stack, approved, ['executing']);
    const submitted = await send(
      stack.baseUrl,
      'POST',
      '/v1/requests',
      'agent',
      submitBody(TAKE_GOLD, 'allowed at submit, then terminated', { metadata: { incident: 'INC-1' } }),
    );
    const allowed = submitted.json<{ id: string }>().id;
    await waitFor(stack, allowed, ['executing']);
    ids.push(waiting, approved, allowed);
    for (const id of ids) await terminate(id);
    ended = await Promise.all(ids.map(settled));
  } finally {
    // The executor comes back: the tasks it would have been handed are gone with their workflows.
    await stack.stopWorkers();
    await stack.startWorkers();
  }
  // An approve sent now finds nothing to approve.
  const late = await send(stack.baseUrl, 'POST', `/v1/requests/${waiting}/approve`, 'alice', {});
  await new Promise((resolve) => setTimeout(resolve, 2_000));

  const left = ended.filter((view) => view.status !== 'failed').length;
  tally('workflows terminated before their request ended', ids.length, left);
  assert.equal(await gold(), before, 'the vault changed');
  assert.ok(late.status >= 400, `an approve after the end was taken: ${late.status} ${late.text}`);
  assert.equal((await failedCounted()) - countedBefore, ids.length, 'each request the sweep ended is counted once');
  for (const [index, view] of ended.entries()) {
    assert.equal(view.status, 'failed', `${ids[index]}: ${JSON.stringify(view)}`);
    assert.match(String(view.error), ORPHANED);
    // The ledger is closed on the command: an executor that claims it later finds it finished.
    assert.deepEqual(await ledgerRow(ids[index]!), { status: 'failed', executor: 'none: the workflow ended' });
  }
});

test("a worker's answer on the executor's queue that the outcome is recorded does not leave the request executing", async () => {
  const before = await gold();
  const id = await pending('a forged "recorded" answer');
  await stack.stopWorkers();
  await stack.startWorkers('orchestrator');
  const forged: ExecutedOutcome = {
    status: 'succeeded',
    result: { rowCount: 1, rows: [], truncated: false },
    recorded: true,
  };
  const rogue = await startRogueActivityWorker(
    stack.settings,
    { executeCommand: async () => forged },
    stack.settings.TEMPORAL_EXECUTOR_TASK_QUEUE,
  );
  let view;
  try {
    await approve(id);
    await stack.client.workflow.getHandle(id).result(); // the forged answer ends the workflow
    view = await settled(id);
  } finally {
    await rogue.stop();
    await stack.stopWorkers();
    await stack.startWorkers();
  }
  tally("forged 'recorded' answers on the executor's queue", 1, view.status === 'failed' ? 0 : 1);
  assert.equal(await gold(), before, 'the vault changed');
  assert.equal(view.status, 'failed', JSON.stringify(view));
  assert.match(String(view.error), ORPHANED);
  assert.deepEqual(await ledgerRow(id), { status: 'failed', executor: 'none: the workflow ended' });
});

test('a claimed command whose workflow ended is declared unknown only after the longest run', async () => {
  const id = await pending('terminated while its executor runs it');
  await stack.stopWorkers();
  await stack.startWorkers('orchestrator');
  try {
    await approve(id);
    await waitFor(stack, id, ['executing']);
    // An executor claimed it and is running it (its claim row, as the executor writes it), when
    // the workflow is terminated: the run may still finish and record its outcome.
    await stack.admin.query(
      "INSERT INTO executions (request_id, status, executor, attempt) VALUES ($1, 'claimed', 'executor-under-test', 1)",
      [id],
    );
    await terminate(id);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // six sweeps
    const running = (await send(stack.baseUrl, 'GET', `/v1/requests/${id}`, 'alice')).json();
    assert.equal(running.status, 'executing', 'the sweep ended a request its executor may still finish');

    // An hour on (the activity's start-to-close timeout), the run has ended, one way or another.
    await stack.admin.query("UPDATE executions SET claimed_at = now() - interval '61 minutes' WHERE request_id = $1", [
      id,
    ]);
    const view = await settled(id);
    assert.equal(view.status, 'outcome_unknown', JSON.stringify(view));
    assert.equal(view.error, 'the executor was lost after it claimed the command; it may or may not have run');
    assert.equal((await ledgerRow(id))?.status, 'claimed');
  } finally {
    await stack.stopWorkers();
    await stack.startWorkers();
  }
});

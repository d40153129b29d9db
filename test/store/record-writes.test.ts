// The record writes local activities retry (store/requests.ts) against a real PostgreSQL: a step
// is applied and audited once however often it is retried, and a batch that depends on the
// API's votes records nothing when one is missing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PrivilegedRequest, Vote } from '../../domain/request';
import { configureAuditKeys } from '../../store/audit';
import { verifyAuditChain } from '../../store/audit-verify';
import { migrate } from '../../store/migrate';
import { createPool } from '../../store/pool';
import { claimExecution, findExecution, finishExecution } from '../../store/executions';
import { getRequest, insertRequest, insertWaitingRequest, recordTransition } from '../../store/requests';
import { newRequestId } from '../../domain/ids';
import { recordCountedVote, recordIgnoredVote, recordTransitions } from '../../store/votes';
import { insertTestRequest } from '../support/request-rows';
import { requiredEnv, testAuditKeys } from '../support/stack';

configureAuditKeys(testAuditKeys);
const pool = createPool(requiredEnv('TEST_DATABASE_URL'));
before(() => migrate(pool));
after(() => pool.end());

const newRequest = () => insertTestRequest(pool, 'SELECT 1', 'record writes');

const auditSteps = async (id: string) =>
  (
    await pool.query<{ step: string }>('SELECT step FROM audit_events WHERE request_id = $1 ORDER BY seq', [id])
  ).rows.map((row) => row.step);

test('a retried transition changes the request and the audit log once', async () => {
  const id = await newRequest();
  await recordTransition(pool, { requestId: id, step: 'status:approved', status: 'approved' });
  // A retry of the same step (even one that would say something else) is a no-op.
  await recordTransition(pool, {
    requestId: id,
    step: 'status:approved',
    status: 'failed',
    changes: { error: 'retry' },
  });
  const request = await getRequest(pool, id);
  assert.equal(request?.status, 'approved');
  assert.equal(request?.error, null);
  assert.deepEqual(await auditSteps(id), ['submitted', 'status:approved']);
});

test('a transition changes only the columns a transition may; any other key is never put into the statement', async () => {
  const id = await newRequest();
  const applied = await recordTransition(pool, {
    requestId: id,
    step: 'status:failed',
    status: 'failed',
    // What a hostile caller of the record activity could send: a key that is SQL, not a column.
    changes: { error: 'the real error', [`result = '{"rows":[]}', reason`]: 'injected' } as never,
  });
  assert.equal(applied?.status, 'failed');
  const request = await getRequest(pool, id);
  assert.equal(request?.error, 'the real error');
  assert.equal(request?.reason, 'record writes', 'the reason is not rewritten');
  assert.equal(request?.result, null);
});

test('finishing an execution records its outcome on the request in the same statement, once', async () => {
  const ran = async (outcome: Parameters<typeof finishExecution>[2]) => {
    const id = await newRequest();
    await recordTransition(pool, { requestId: id, step: 'status:executing', status: 'executing' });
    assert.deepEqual(await claimExecution(pool, id, 'executor-1', 1), { claimed: true });
    return { id, applied: await finishExecution(pool, id, outcome) };
  };
  const result = { rowCount: 2, rows: [{ n: 1 }, { n: 2 }], truncated: false };
  const succeeded = await ran({ status: 'succeeded', result });
  assert.equal(succeeded.applied?.status, 'succeeded');
  const record = await getRequest(pool, succeeded.id);
  assert.equal(record?.status, 'succeeded');
  assert.deepEqual(record?.result, result);
  assert.deepEqual(await auditSteps(succeeded.id), ['submitted', 'status:executing', 'status:succeeded']);
  const audited = await pool.query('SELECT detail FROM audit_events WHERE request_id = $1 AND step = $2', [
    succeeded.id,
    'status:succeeded',
  ]);
  assert.deepEqual(audited.rows[0].detail, { rowCount: 2, truncated: false }, 'counts, never values');
  // Again (a retried write): the ledger row is no longer claimed, so nothing changes.
  assert.equal(await finishExecution(pool, succeeded.id, { status: 'failed', error: 'again' }), undefined);
  assert.equal((await getRequest(pool, succeeded.id))?.status, 'succeeded');
  assert.equal((await findExecution(pool, succeeded.id))?.status, 'succeeded');

  const failed = await ran({ status: 'failed', error: 'permission denied for table vault' });
  assert.equal((await getRequest(pool, failed.id))?.error, 'permission denied for table vault');
  assert.equal((await findExecution(pool, failed.id))?.error, 'permission denied for table vault');

  // Were the request's outcome recorded already, the ledger row still ends, with no second audit row.
  const id = await newRequest();
  await recordTransition(pool, { requestId: id, step: 'status:executing', status: 'executing' });
  await claimExecution(pool, id, 'executor-1', 1);
  await recordTransition(pool, { requestId: id, step: 'status:succeeded', status: 'succeeded', changes: { result } });
  assert.equal(await finishExecution(pool, id, { status: 'succeeded', result }), undefined);
  assert.equal((await findExecution(pool, id))?.status, 'succeeded');
  assert.deepEqual(await auditSteps(id), ['submitted', 'status:executing', 'status:succeeded']);
});

test('a batch is one write; with an API vote the API never recorded, nothing is written', async () => {
  const id = await newRequest();
  const refused = await recordTransitions(pool, {
    requestId: id,
    transitions: [{ step: 'status:executing', status: 'executing' }],
    verifyApiVotes: ['vote_forged'],
  });
  assert.deepEqual(refused, { unrecordedApiVotes: ['vote_forged'], applied: [] });
  assert.equal((await getRequest(pool, id))?.status, 'evaluating');
  assert.deepEqual(await auditSteps(id), ['submitted']);

  const approved = { step: 'status:approved', status: 'approved' } as const;
  const executing = { step: 'status:executing', status: 'executing' } as const;
  const first = await recordTransitions(pool, { requestId: id, transitions: [approved, executing] });
  assert.deepEqual(first.unrecordedApiVotes, []);
  assert.deepEqual(
    first.applied.map(({ status, rule }) => ({ status, rule })),
    [
      { status: 'approved', rule: null },
      { status: 'executing', rule: null },
    ],
    'what the metrics count: both status changes, before any policy decision was recorded',
  );
  assert.ok(first.applied.every((applied) => applied.secondsSinceSubmit >= 0 && applied.secondsSinceSubmit < 60));
  assert.deepEqual(
    await recordTransitions(pool, { requestId: id, transitions: [approved, executing] }),
    { unrecordedApiVotes: [], applied: [] },
    'a retried batch writes nothing and counts nothing',
  );
  assert.equal((await getRequest(pool, id))?.status, 'executing');
  assert.deepEqual(await auditSteps(id), ['submitted', 'status:approved', 'status:executing']);
  assert.equal((await verifyAuditChain(pool)).firstBroken, null);
});

test('concurrent submits and transitions keep every audit chain unbroken', async () => {
  // Each append takes its chain's lock and links to the row committed before it in that chain;
  // with a stale snapshot two rows would link to the same predecessor and the chain would fork.
  const ids = await Promise.all(Array.from({ length: 40 }, () => newRequest()));
  // Each step twice at once, as an overlapping retry would: one of the pair may lose on the
  // audit log's unique step and roll back, and its retry would then find the step recorded.
  const approve = (id: string) =>
    recordTransition(pool, { requestId: id, step: 'status:approved', status: 'approved' });
  const pairs = await Promise.all(ids.map((id) => Promise.allSettled([approve(id), approve(id)])));
  assert.ok(pairs.every((pair) => pair.some((write) => write.status === 'fulfilled')));
  for (const id of ids) assert.deepEqual(await auditSteps(id), ['submitted', 'status:approved']);
  const forks = await pool.query(
    'SELECT chain, prev_hash FROM audit_events GROUP BY chain, prev_hash HAVING count(*) > 1',
  );
  assert.equal(forks.rowCount, 0);
  assert.equal((await verifyAuditChain(pool)).firstBroken, null);
});

test('a resubmitted id writes nothing: no second request row, no audit row', async () => {
  const id = await newRequest();
  const again = await insertRequest(pool, {
    id,
    agent: 'agent',
    connector: 'postgres',
    target: 'app-db',
    command: { sql: 'SELECT 2' },
    reason: 'again',
    metadata: {},
  });
  assert.equal(again, undefined);
  assert.deepEqual((await getRequest(pool, id))?.command, { sql: 'SELECT 1' });
  assert.deepEqual(await auditSteps(id), ['submitted']);
});

test('a retried counted vote, its decision and a retried ignored vote are each written once', async () => {
  const id = await newRequest();
  await recordTransition(pool, { requestId: id, step: 'status:pending_approval', status: 'pending_approval' });
  const vote: Vote = {
    id: 'vote_signal_1',
    reviewer: 'alice',
    decision: 'approve',
    channel: 'temporal',
    verified: false,
    at: new Date().toISOString(),
    stage: 1,
    groups: ['dba'],
  };
  const ignored: Vote = { ...vote, id: 'vote_signal_2', reviewer: 'mallory' };
  for (let attempt = 0; attempt < 2; attempt++) {
    await recordCountedVote(pool, { requestId: id, vote, decidedStatus: 'approved' });
    await recordIgnoredVote(pool, id, ignored, 'not a reviewer');
  }
  assert.equal((await getRequest(pool, id))?.status, 'approved');
  assert.deepEqual(
    (await getRequest(pool, id))?.votes.map((counted) => counted.reviewer),
    ['alice'],
  );
  assert.deepEqual(await auditSteps(id), [
    'submitted',
    'status:pending_approval',
    'vote:vote_signal_1',
    'status:approved',
    'vote:vote_signal_2',
  ]);
  assert.equal((await verifyAuditChain(pool)).firstBroken, null);
});

test("concurrent held submits of one agent stop at its bound, in one statement each; a retry is a retry, not 'full'", async () => {
  const agent = `bounded-${newRequestId().slice(-8).toLowerCase()}`;
  const held = (): PrivilegedRequest => ({
    id: newRequestId(),
    agent,
    connector: 'postgres',
    target: 'app-db',
    command: { sql: 'UPDATE t SET a = 1' },
    reason: 'at the bound',
    metadata: {},
  });
  const requests = Array.from({ length: 20 }, held);
  const outcomes = await Promise.all(requests.map((request) => insertWaitingRequest(pool, request, 5)));
  assert.equal(outcomes.filter((outcome) => outcome === 'full').length, 15);
  const waiting = await pool.query('SELECT count(*)::int AS n FROM requests WHERE agent = $1', [agent]);
  assert.equal(waiting.rows[0].n, 5);
  const admitted = requests[outcomes.findIndex((outcome) => outcome !== 'full')]!;
  assert.equal(await insertWaitingRequest(pool, admitted, 5), undefined, 'a retry of a recorded request');
  assert.equal(await insertWaitingRequest(pool, held(), 5), 'full');
  // A decision frees a place.
  await recordTransition(pool, { requestId: admitted.id, step: 'status:rejected', status: 'rejected' });
  assert.notEqual(await insertWaitingRequest(pool, held(), 5), 'full');
});

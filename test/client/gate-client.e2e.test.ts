// The typed client against the real stack over real HTTP: every outcome `run` can report, typed
// errors, and a submit retried after a dropped connection making exactly one request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client as PgClient } from 'pg';
import { type GateClient, GateError, GateUnavailableError, createGateClient } from '../../client';
import { call, waitForStatus } from '../support/api';
import { AGENT_POLICY, clientFor, listen, orderStatus, resetAgentOrders } from '../support/agents';
import { TOKENS, type TestStack, startTestStack } from '../support/stack';

let stack: TestStack;
let target: PgClient;
let baseUrl: string;
let agent: GateClient;

const command = (sql: string, reason = 'client test') => ({
  connector: 'postgres' as const,
  target: 'app-db',
  command: { sql },
  reason,
});

/** Approves (or rejects) a request once it waits for approval, as a reviewer would through the API. */
async function decideWhenPending(id: () => string | undefined, decision: 'approve' | 'reject', comment?: string) {
  for (let tries = 0; !id(); tries += 1) {
    if (tries > 300) throw new Error('no request to decide');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await waitForStatus(stack.app, id()!, ['pending_approval']);
  const response = await call(
    stack.app,
    'POST',
    `/v1/requests/${id()}/${decision}`,
    'alice',
    comment ? { comment } : {},
  );
  assert.equal(response.status, 200, response.raw);
}

/** A fetch that records the request ids the gate answered with. */
function recordingFetch(ids: string[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const body = (await response.clone().json()) as { id?: string };
    if (body.id) ids.push(body.id);
    return response;
  };
}

before(async () => {
  stack = await startTestStack(AGENT_POLICY);
  target = await resetAgentOrders();
  baseUrl = await listen(stack);
  agent = clientFor(baseUrl, 'agent');
});

after(async () => {
  await target?.end();
  await stack?.stop();
});

describe('run reports each outcome', () => {
  test('allowed: the masked rows', async () => {
    const outcome = await agent.run(command('SELECT id, email FROM agent_orders ORDER BY id'));
    assert.equal(outcome.outcome, 'succeeded');
    assert.equal(outcome.outcome === 'succeeded' && outcome.request.policy?.rule, 'read-only');
    assert.deepEqual(outcome.outcome === 'succeeded' && 'rows' in outcome.result && outcome.result.rows, [
      { id: 1, email: '[masked:email]' },
      { id: 2, email: '[masked:email]' },
    ]);
  });

  test("denied: the policy's reason, and nothing ran", async () => {
    const outcome = await agent.run(command('DELETE FROM agent_orders WHERE id = 1'));
    assert.equal(outcome.outcome, 'denied');
    assert.equal(outcome.outcome === 'denied' && outcome.reason, 'agents may not delete rows');
    assert.equal((await target.query('SELECT 1 FROM agent_orders WHERE id = 1')).rowCount, 1);
  });

  test('approved while run waits: the write ran once', async () => {
    const ids: string[] = [];
    const client = clientFor(baseUrl, 'agent', { fetch: recordingFetch(ids) });
    const [outcome] = await Promise.all([
      client.run(command("UPDATE agent_orders SET status = 'shipped' WHERE id = 1")),
      decideWhenPending(() => ids[0], 'approve'),
    ]);
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.request));
    assert.equal(await orderStatus(target, 1), 'shipped');
    assert.deepEqual(
      outcome.request.votes.map((vote) => [vote.reviewer, vote.decision]),
      [['alice', 'approve']],
    );
  });

  test("rejected: the reviewer's comment, and nothing ran", async () => {
    const ids: string[] = [];
    const client = clientFor(baseUrl, 'agent', { fetch: recordingFetch(ids) });
    const [outcome] = await Promise.all([
      client.run(command("UPDATE agent_orders SET status = 'void' WHERE id = 2")),
      decideWhenPending(() => ids[0], 'reject', 'not during the freeze'),
    ]);
    assert.equal(outcome.outcome, 'rejected');
    assert.equal(outcome.outcome === 'rejected' && outcome.reviewer, 'alice');
    assert.equal(outcome.outcome === 'rejected' && outcome.comment, 'not during the freeze');
    assert.equal(await orderStatus(target, 2), 'open');
  });

  test('expired: nobody decided before the deadline', async () => {
    const outcome = await agent.run(command("UPDATE agent_orders SET status = 'late' WHERE id = 2", 'expire: soon'));
    assert.equal(outcome.outcome, 'expired');
    assert.equal(await orderStatus(target, 2), 'open');
  });

  test('pending when the wait runs out: who may approve, the deadline, and waitFor picks it up', async () => {
    const progress: string[] = [];
    const outcome = await agent.run(command("UPDATE agent_orders SET status = 'held' WHERE id = 2"), {
      timeoutMs: 2_500,
      pollSeconds: 1,
      onProgress: (request) => void progress.push(request.status),
    });
    assert.equal(outcome.outcome, 'pending');
    assert.ok(outcome.outcome === 'pending');
    assert.deepEqual(outcome.eligibleReviewers, ['alice', 'bob', 'carol', 'erin']);
    assert.ok(outcome.deadline && Date.parse(outcome.deadline) > Date.now());
    assert.ok(progress.length >= 1 && progress.every((status) => status === 'pending_approval'), String(progress));

    const reviewer = clientFor(baseUrl, 'bob');
    await reviewer.decide(outcome.requestId, 'approve', 'ok');
    const done = await agent.waitFor(outcome.requestId);
    assert.equal(done.status, 'succeeded');
    assert.equal(await orderStatus(target, 2), 'held');
  });

  test('an aborted wait rejects at once and leaves the request waiting', async () => {
    const submitted = await agent.submit(command("UPDATE agent_orders SET status = 'aborted' WHERE id = 1"));
    // Waiting for reviewers first: on a busy machine 300 ms may not be enough for policy to decide.
    assert.equal((await agent.waitFor(submitted.id, { until: 'evaluated' })).status, 'pending_approval');
    const controller = new AbortController();
    const waiting = agent.waitFor(submitted.id, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('the agent gave up')), 300);
    await assert.rejects(waiting, /the agent gave up/);
    assert.equal((await agent.get(submitted.id)).status, 'pending_approval');
    assert.equal((await agent.cancel(submitted.id)).status, 'cancelled');
  });
});

describe('retries and errors', () => {
  test('a submit whose connection dropped after the gate received it is retried with its key: one request', async () => {
    let dropped = 0;
    const dropFirstAnswer: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method === 'POST' && dropped === 0) {
        dropped += 1;
        throw new TypeError('fetch failed: socket hang up'); // the gate recorded it; the answer was lost
      }
      return response;
    };
    const client = createGateClient({ baseUrl, token: TOKENS.agent, fetch: dropFirstAnswer, retryDelayMs: 10 });
    const sql = `SELECT id FROM agent_orders WHERE id = 1 -- ${Date.now()}`;
    const outcome = await client.run(command(sql));
    assert.equal(dropped, 1);
    assert.equal(outcome.outcome, 'succeeded');
    const rows = await stack.pool.query("SELECT id FROM requests WHERE command->>'sql' = $1", [sql]);
    assert.deepEqual(
      rows.rows.map((row: { id: string }) => row.id),
      [outcome.requestId],
    );
  });

  test('errors carry the API error code: bad SQL, a wrong token, a missing request, a reviewer-only action', async () => {
    const refused = async (promise: Promise<unknown>, status: number, code: string) => {
      const error = await promise.then(
        () => assert.fail('expected a refusal'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof GateError, String(error));
      assert.equal(error.status, status);
      assert.equal(error.code, code);
    };
    await refused(agent.submit(command('SELEC nothing')), 400, 'invalid_sql');
    await refused(agent.submit({ ...command('SELECT 1'), target: 'billing-db' }), 400, 'unknown_target');
    await refused(agent.explain({ ...command('SELECT 1'), target: 'billing-db' }), 400, 'unknown_target');
    await refused(createGateClient({ baseUrl, token: 'not-a-token-at-all' }).me(), 401, 'unauthorized');
    await refused(agent.get('req_01J00000000000000000000000'), 404, 'not_found');
    const pending = await agent.submit(command("UPDATE agent_orders SET status = 'x' WHERE id = 2"));
    await refused(agent.decide(pending.id, 'approve'), 403, 'forbidden');
    await waitForStatus(stack.app, pending.id, ['pending_approval']);
    await clientFor(baseUrl, 'erin').decide(pending.id, 'reject', 'no');
    await refused(clientFor(baseUrl, 'bob').decide(pending.id, 'approve'), 409, 'NotPending');
    const invalid = await agent
      .submit({ ...command('SELECT 1'), target: 'no such target!' })
      .catch((error: unknown) => error);
    assert.ok(invalid instanceof GateError && invalid.code === 'invalid_request' && invalid.issues.length > 0);
  });

  test('a gate that does not answer: GateUnavailableError after the retries', async () => {
    const client = createGateClient({ baseUrl: 'http://127.0.0.1:9', token: TOKENS.agent, retryDelayMs: 1 });
    await assert.rejects(client.get('req_01J00000000000000000000000'), (error: unknown) => {
      assert.ok(error instanceof GateUnavailableError);
      assert.match(error.message, /after 4 attempt/);
      return true;
    });
  });
});

describe('asking before submitting', () => {
  test('explain: the decision, stages and facts, and nothing is recorded', async () => {
    const before = (await stack.pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n as number;
    const write = await agent.explain(command("UPDATE agent_orders SET status = 'x' WHERE id = 1"));
    assert.equal(write.decision.effect, 'require_approval');
    assert.equal(write.decision.rule, 'writes-need-a-dba');
    assert.equal(write.decision.risk, 'high');
    assert.deepEqual(
      write.decision.stages.map((stage) => [stage.groups, stage.quorum, stage.timeout]),
      [[['dba'], 1, '1h']],
    );
    assert.deepEqual((write.facts?.sql as { kinds: string[] } | undefined)?.kinds, ['update'], 'facts by namespace');
    const unparsable = await agent.explain(command('SELEC'));
    assert.equal(unparsable.decision.effect, 'deny');
    assert.equal(unparsable.facts, null);
    const afterwards = (await stack.pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n as number;
    assert.equal(afterwards, before);
  });

  test('targets: names, connectors and what the policy decides there, without connection details', async () => {
    const targets = await agent.targets();
    assert.deepEqual(targets, [
      {
        name: 'app-db',
        connector: 'postgres',
        policy: 'reads: allowed; writes: needs approval by 1 of dba; schema changes: needs approval by 1 of dba',
      },
    ]);
    assert.deepEqual(await agent.me(), { id: 'billing-agent', kind: 'agent', groups: [] });
  });
});

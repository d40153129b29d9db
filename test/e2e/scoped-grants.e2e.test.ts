// Scoped grants end to end (real Temporal, real PostgreSQL): a reviewer approves "this and commands
// of the same shape"; matching and non-matching shapes; the rule's caps; the last use under
// concurrent requests; revocation by the agent and by a reviewer; expiry as a durable timer across
// a worker stop.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client as PgClient } from 'pg';
import type { RequestView } from '../../api/request-view';
import type { ErrorBody } from '../../api/schemas';
import { type Grant, insertGrant } from '../../store/grants';
import { grantWithCountedApproval } from '../../api/scoped-grants';
import { createTemporalGateway } from '../../api/temporal-gateway';
import { getRequest } from '../../store/requests';
import { grantIdForVote, newVoteId } from '../../domain/ids';
import { grantExpiryWorkflowId } from '../../temporal/contract';
import { call, submitBody, waitForStatus } from '../support/api';
import { eventually } from '../support/eventually';
import { recordHistories } from '../support/histories';
import { type TestStack, requiredEnv, startTestStack } from '../support/stack';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], timeout: 1h } }
rules:
  - name: reads
    when: sql.readOnly
    effect: allow
  - name: balance-fixes
    when: sql.tables == ["grant_accounts", "public.grant_accounts"] && sql.kinds == ["update"]
    effect: require_approval
    approval: { groups: [dba], timeout: 1h }
    grant: { maxUses: 5, maxFor: 1h }
`;

let stack: TestStack;
let target: PgClient;
const fixtures = new Map<string, string>();

async function submit(sql: string, who: 'agent' | 'otherAgent' = 'agent'): Promise<RequestView> {
  const answer = await call<RequestView>(stack.app, 'POST', '/v1/requests', who, submitBody(sql, 'grants'));
  assert.equal(answer.status, 202, answer.raw);
  return answer.body;
}
const settled = (id: string) =>
  waitForStatus(stack.app, id, ['pending_approval', 'succeeded', 'failed', 'denied', 'cancelled']);

/** Submits, approves with a grant, waits for it to run; the grant made. */
async function grantFor(sql: string, grant: { uses: number; for: string }): Promise<Grant> {
  const source = await settled((await submit(sql)).id);
  assert.equal(source.status, 'pending_approval');
  const approved = await call(stack.app, 'POST', `/v1/requests/${source.id}/approve`, 'alice', { grant });
  assert.equal(approved.status, 200, approved.raw);
  assert.equal((await waitForStatus(stack.app, source.id, ['succeeded', 'failed'])).status, 'succeeded');
  const listed = await call<{ items: Grant[] }>(stack.app, 'GET', '/v1/grants', 'agent');
  return listed.body.items.find((item) => item.sourceRequest === source.id)!;
}

const cancel = (id: string) => call(stack.app, 'POST', `/v1/requests/${id}/cancel`, 'agent');

before(async () => {
  stack = await startTestStack(POLICY);
  target = new PgClient({ connectionString: requiredEnv('TEST_TARGET_DATABASE_URL') });
  await target.connect();
  await target.query(`
    DROP TABLE IF EXISTS grant_accounts;
    CREATE TABLE grant_accounts (id int PRIMARY KEY, balance int NOT NULL);
    INSERT INTO grant_accounts SELECT i, 100 FROM generate_series(1, 50) i;`);
});

after(async () => {
  await recordHistories(stack.settings.TEMPORAL_ADDRESS!, fixtures);
  await target?.query('DROP TABLE IF EXISTS grant_accounts').catch(() => undefined);
  await target?.end();
  await stack?.stop();
});

describe('scoped grants', () => {
  test('an approval with a grant covers commands of the same shape, for the same agent, up to its uses', async () => {
    const grant = await grantFor('UPDATE grant_accounts SET balance = 1 WHERE id = 1', { uses: 2, for: '1h' });
    assert.deepEqual([grant.maxUses, grant.usesLeft, grant.grantedBy, grant.rule], [2, 2, 'alice', 'balance-fixes']);

    // Same shape, other values: approved at once by the grant, and it runs.
    const same = await submit('UPDATE grant_accounts SET balance = 2 WHERE id = 2');
    fixtures.set('approved-by-grant', same.id);
    const ran = await waitForStatus(stack.app, same.id, ['succeeded', 'failed', 'pending_approval']);
    assert.equal(ran.status, 'succeeded');
    assert.equal(ran.grantId, grant.id);
    assert.deepEqual(ran.votes, []);
    const audited = await stack.pool.query<{ actor: string; detail: { grant: { id: string } } }>(
      "SELECT actor, detail FROM audit_events WHERE request_id = $1 AND step = 'status:approved'",
      [same.id],
    );
    assert.deepEqual([audited.rows[0]?.actor, audited.rows[0]?.detail.grant.id], ['alice', grant.id]);

    // Another shape, or another agent: reviewers are asked as before.
    const otherShape = await settled(
      (await submit('UPDATE grant_accounts SET balance = 2 WHERE id = 2 AND balance > 0')).id,
    );
    const otherAgent = await settled(
      (await submit('UPDATE grant_accounts SET balance = 3 WHERE id = 3', 'otherAgent')).id,
    );
    assert.deepEqual([otherShape.status, otherAgent.status], ['pending_approval', 'pending_approval']);
    assert.equal(otherShape.grantId, null);

    // The second use, then none left.
    assert.equal(
      (await settled((await submit('UPDATE grant_accounts SET balance = 4 WHERE id = 4')).id)).status,
      'succeeded',
    );
    const spent = await settled((await submit('UPDATE grant_accounts SET balance = 5 WHERE id = 5')).id);
    assert.equal(spent.status, 'pending_approval');
    assert.equal(
      (await call<{ items: Grant[] }>(stack.app, 'GET', '/v1/grants', 'alice')).body.items.some(
        (item) => item.id === grant.id,
      ),
      false,
      'a spent grant is no longer listed',
    );
    await cancel(otherShape.id);
    await call(stack.app, 'POST', `/v1/requests/${otherAgent.id}/cancel`, 'otherAgent');
    await cancel(spent.id);
  });

  test('a grant the rule does not allow, or above its caps, is refused before any vote counts', async () => {
    const deletion = await settled((await submit('DELETE FROM grant_accounts WHERE id = 50')).id);
    const refused = await call<ErrorBody>(stack.app, 'POST', `/v1/requests/${deletion.id}/approve`, 'alice', {
      grant: { uses: 1, for: '10m' },
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'grant_not_allowed');
    assert.match(refused.body.message, /rule default does not allow grants/);
    const fix = await settled((await submit('UPDATE grant_accounts SET balance = balance WHERE id = 49')).id);
    for (const grant of [
      { uses: 6, for: '10m' },
      { uses: 1, for: '2h' },
    ]) {
      const tooLarge = await call<ErrorBody>(stack.app, 'POST', `/v1/requests/${fix.id}/approve`, 'alice', { grant });
      assert.equal(tooLarge.status, 400, JSON.stringify(grant));
      assert.match(tooLarge.body.message, /at most 5 uses for 1h/);
    }
    const malformed = await call<ErrorBody>(stack.app, 'POST', `/v1/requests/${fix.id}/approve`, 'alice', {
      grant: { uses: 1, for: 'forever' },
    });
    assert.equal(malformed.status, 400);
    // A rejection carries no grant.
    const rejectWithGrant = await call<ErrorBody>(stack.app, 'POST', `/v1/requests/${fix.id}/reject`, 'alice', {
      comment: 'no',
      grant: { uses: 1, for: '10m' },
    });
    assert.equal(rejectWithGrant.status, 400);
    for (const id of [deletion.id, fix.id]) {
      const view = (await call(stack.app, 'GET', `/v1/requests/${id}`, 'agent')).body;
      assert.deepEqual([view.status, view.votes.length], ['pending_approval', 0]);
      await cancel(id);
    }
  });

  test('concurrent requests of one shape cannot both take the last use', async () => {
    const grant = await grantFor('UPDATE grant_accounts SET balance = balance + 1 WHERE id = 10', {
      uses: 1,
      for: '1h',
    });
    const requests = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        submit(`UPDATE grant_accounts SET balance = balance + 1 WHERE id = ${11 + index}`),
      ),
    );
    const outcomes = await Promise.all(requests.map((request) => settled(request.id)));
    const byGrant = outcomes.filter((outcome) => outcome.grantId === grant.id);
    assert.equal(byGrant.length, 1, outcomes.map((outcome) => outcome.status).join(', '));
    assert.equal(byGrant[0]!.status, 'succeeded');
    assert.equal(outcomes.filter((outcome) => outcome.status === 'pending_approval').length, 5);
    const [row] = (await stack.pool.query('SELECT uses_left FROM grants WHERE id = $1', [grant.id])).rows;
    assert.equal(row.uses_left, 0);
    for (const outcome of outcomes) if (outcome.status === 'pending_approval') await cancel(outcome.id);
  });

  test('the agent or a reviewer revokes a grant; another agent cannot see it', async () => {
    const first = await grantFor('UPDATE grant_accounts SET balance = balance - 1 WHERE id = 20', {
      uses: 5,
      for: '1h',
    });
    assert.equal((await call(stack.app, 'POST', `/v1/grants/${first.id}/revoke`, 'otherAgent')).status, 404);
    assert.equal((await call<{ items: Grant[] }>(stack.app, 'GET', '/v1/grants', 'otherAgent')).body.items.length, 0);
    const revoked = await call<Grant>(stack.app, 'POST', `/v1/grants/${first.id}/revoke`, 'agent');
    assert.equal(revoked.status, 200, revoked.raw);
    assert.equal(revoked.body.revokedBy, 'billing-agent');
    assert.equal((await call(stack.app, 'POST', `/v1/grants/${first.id}/revoke`, 'alice')).status, 409);
    const after = await settled((await submit('UPDATE grant_accounts SET balance = balance - 1 WHERE id = 21')).id);
    assert.equal(after.status, 'pending_approval');
    await cancel(after.id);

    const second = await grantFor('UPDATE grant_accounts SET balance = balance - 2 WHERE id = 22', {
      uses: 5,
      for: '1h',
    });
    assert.equal((await call<Grant>(stack.app, 'POST', `/v1/grants/${second.id}/revoke`, 'bob')).body.revokedBy, 'bob');
    assert.equal(
      (await call(stack.app, 'POST', '/v1/grants/grant_NOTAGRANT/revoke', 'alice')).status,
      400,
      'a malformed id is a 400',
    );
    const kinds = await stack.pool.query<{ kind: string }>(
      "SELECT kind FROM audit_events WHERE request_id = $1 AND kind LIKE 'grant_%' ORDER BY seq",
      [first.sourceRequest],
    );
    assert.deepEqual(
      kinds.rows.map((row) => row.kind),
      ['grant_created', 'grant_revoked'],
    );
  });

  test('a grant expires on a durable timer, across a worker stop', async () => {
    const grant = await grantFor('UPDATE grant_accounts SET balance = balance * 1 WHERE id = 30', {
      uses: 5,
      for: '3s',
    });
    await stack.stopWorkers();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const late = await submit('UPDATE grant_accounts SET balance = balance * 1 WHERE id = 31');
    await stack.startWorkers();
    assert.equal((await settled(late.id)).status, 'pending_approval', 'an expired grant approves nothing');
    await eventually(async () => {
      const [row] = (await stack.pool.query('SELECT expired_at FROM grants WHERE id = $1', [grant.id])).rows;
      return row.expired_at !== null;
    }, 'the expiry timer fires after the restart');
    const expired = await stack.pool.query(
      "SELECT 1 FROM audit_events WHERE request_id = $1 AND kind = 'grant_expired'",
      [grant.sourceRequest],
    );
    assert.equal(expired.rowCount, 1);
    await cancel(late.id);
  });

  test('a vote delivered again starts the timer of a grant its first delivery made but did not time', async () => {
    const grant = await grantFor('UPDATE grant_accounts SET balance = balance * 1 WHERE id = 40', {
      uses: 1,
      for: '1h',
    });
    const request = (await getRequest(stack.pool, grant.sourceRequest))!;
    // The first delivery of another approval made its grant and stopped (a crash) before the timer.
    const vote = { voteId: newVoteId(), reviewer: 'alice' };
    const made = await insertGrant(stack.pool, {
      id: grantIdForVote(vote.voteId),
      agent: request.agent,
      target: request.target,
      rule: request.policy!.rule,
      fingerprint: grant.fingerprint,
      exampleSql: grant.exampleSql,
      maxUses: 2,
      forMs: 1_800_000,
      grantedBy: vote.reviewer,
      sourceRequest: request.id,
    });
    assert.ok(made);
    const expiry = stack.client.workflow.getHandle(grantExpiryWorkflowId(made.id));
    await assert.rejects(expiry.describe(), /not found/i);
    const temporal = createTemporalGateway(stack.client, stack.settings);
    await grantWithCountedApproval(stack.pool, temporal, request.id, vote, { uses: 2, for: '30m' });
    assert.equal((await expiry.describe()).status.name, 'RUNNING');
    assert.equal((await stack.pool.query('SELECT 1 FROM grants WHERE id = $1', [made.id])).rowCount, 1);
    await expiry.terminate('test over');
  });
});

// Class 52: a write inside another statement. Policy's per-statement facts described only the
// batch's own statements, so a DELETE without WHERE wrapped in EXPLAIN ANALYZE, COPY (...) TO, a
// data-modifying CTE or CREATE TABLE AS was a statement of kind `other`, `copy`, `select` or
// `create`, and a rule such as the demo policy's `no-unbounded-deletes` never saw it: the command
// went to a reviewer instead of being denied, and EXPLAIN ANALYZE or COPY runs the DELETE. Every
// nested INSERT, UPDATE, DELETE and MERGE is now described as a statement of its own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AttackStack, send, startAttackStack, submitBody, tally, waitFor } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: no-unbounded-deletes
    when: sql.statements.exists(s, s.kind in ["update", "delete"] && !s.hasWhere)
    effect: deny
    reason: UPDATE and DELETE need a WHERE clause
`;

const HIDDEN = [
  'EXPLAIN ANALYZE DELETE FROM hidden_rows',
  'EXPLAIN (ANALYZE, FORMAT JSON) UPDATE hidden_rows SET n = 0',
  'COPY (DELETE FROM hidden_rows RETURNING *) TO STDOUT',
  'WITH gone AS (DELETE FROM hidden_rows RETURNING *) SELECT count(*) FROM gone',
  'CREATE TABLE hidden_copy AS WITH gone AS (DELETE FROM hidden_rows RETURNING *) SELECT * FROM gone',
  'WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r; PREPARE wipe AS DELETE FROM hidden_rows',
];

let stack: AttackStack;
before(async () => {
  stack = await startAttackStack(POLICY);
  await stack.target.query(
    'DROP TABLE IF EXISTS hidden_rows, hidden_copy; CREATE TABLE hidden_rows (id int PRIMARY KEY, n int); ' +
      'INSERT INTO hidden_rows SELECT i, i FROM generate_series(1, 10) i',
  );
});
after(() => stack?.stop());

test('a write without WHERE nested in another statement is denied by the rule about writes', async () => {
  const undenied: string[] = [];
  for (const sql of HIDDEN) {
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody(sql));
    assert.equal(submitted.status, 202, submitted.text);
    const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['denied', 'pending_approval']);
    if (view.status !== 'denied' || (view.policy as { rule: string }).rule !== 'no-unbounded-deletes')
      undenied.push(`${sql}: ${String(view.status)}`);
  }
  tally('writes hidden inside another statement', HIDDEN.length, undenied.length);
  assert.deepEqual(undenied, []);
  const { rows } = await stack.target.query<{ count: string }>('SELECT count(*) FROM hidden_rows WHERE n > 0');
  assert.equal(Number(rows[0]!.count), 10);
});

test('the same write with a WHERE, and the plain statements, are judged as before', async () => {
  const answer = await send(
    stack.baseUrl,
    'POST',
    '/v1/policy/explain',
    'agent',
    submitBody('WITH gone AS (DELETE FROM hidden_rows WHERE id = 1 RETURNING *) SELECT count(*) FROM gone'),
  );
  assert.equal(answer.json<{ decision: { rule: string } }>().decision.rule, 'default');
  const plain = await send(stack.baseUrl, 'POST', '/v1/policy/explain', 'agent', submitBody('DELETE FROM hidden_rows'));
  assert.equal(plain.json<{ decision: { rule: string } }>().decision.rule, 'no-unbounded-deletes');
});

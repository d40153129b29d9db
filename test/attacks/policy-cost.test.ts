// Class 51: a policy's rules cost what they make of what the agent sends. cel-js has no cost
// limit, and an operator's rule that nests four `exists` over a command's tables walks a
// one-kilobyte SELECT of 100 tables a hundred million times: seconds on the API's thread, with
// everyone else's calls waiting, and the same again on the worker that decides the request. The
// analysis threads (ADR 041) stop only commands over 2 KiB. Every decision now runs under the
// policy's `evaluationTimeout` (ADR 042): past it, the rule running is stopped and the command
// denied, on the API and on the worker alike.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AttackStack, send, startAttackStack, submitBody, tally, waitFor } from './support';

const POLICY = `version: 1
evaluationTimeout: 300ms
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: joined-names
    when: sql.tables.exists(a, sql.tables.exists(b, sql.tables.exists(c, sql.tables.exists(d, a + b + c + d == "x"))))
    effect: deny
    reason: no such name
  - name: read-only-sql
    when: sql.readOnly
    effect: allow
`;

let stack: AttackStack;
before(async () => {
  stack = await startAttackStack(POLICY);
});
after(() => stack?.stop());

/** 100 tables in about a kilobyte: read on the API's own thread, and 10^8 steps of the rule above. */
const MANY_TABLES = `SELECT 1 FROM ${Array.from({ length: 100 }, (_, i) => `t_${i}`).join(', ')}`;
const STOPPED = /rule "joined-names" .* did not finish within 300ms/;

test('a costly rule is stopped at evaluationTimeout on the API: the explanation denies, naming the rule', async () => {
  const answer = await send(stack.baseUrl, 'POST', '/v1/policy/explain', 'agent', submitBody(MANY_TABLES));
  assert.equal(answer.status, 200, answer.text);
  const { decision } = answer.json<{ decision: { effect: string; rule: string; explanation: string } }>();
  assert.deepEqual([decision.effect, decision.rule], ['deny', 'joined-names']);
  assert.match(decision.explanation, STOPPED);
  // The API goes on answering, and decides a cheap command as before.
  const cheap = await send(stack.baseUrl, 'POST', '/v1/policy/explain', 'agent', submitBody('SELECT 1 FROM t_1'));
  assert.equal(cheap.json<{ decision: { rule: string } }>().decision.rule, 'read-only-sql');
  tally('policy evaluations past evaluationTimeout (API)', 1, STOPPED.test(decision.explanation) ? 0 : 1);
});

test("submitted, it is denied by the worker's own decision, also stopped; nothing runs", async () => {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody(MANY_TABLES));
  assert.equal(submitted.status, 202, submitted.text);
  const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['denied', 'succeeded', 'failed']);
  const policy = view.policy as { effect: string; rule: string; explanation: string };
  assert.equal(view.status, 'denied');
  assert.deepEqual([policy.effect, policy.rule], ['deny', 'joined-names']);
  assert.match(policy.explanation, STOPPED);
  assert.equal(view.result, null);
  tally('policy evaluations past evaluationTimeout (worker)', 1, view.status === 'denied' ? 0 : 1);
});

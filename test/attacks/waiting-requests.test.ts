// Class 81: one agent buries the reviewers. Submits were rate-limited (600 a minute) but nothing
// bounded how many of an agent's requests waited for reviewers at once: with an hour's timeout, one
// agent could hold tens of thousands, each a notice, and hide the one that matters among them or
// wear the reviewers down until they approve in bulk. Now a submit that policy would hold beyond
// MAX_WAITING_PER_AGENT gets 429 and is not recorded; reads policy allows, other agents and
// idempotent retries are not affected, and a decision frees a place.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { PRINCIPALS } from '../support/stack';
import { type AttackStack, READS_ALLOWED_POLICY, send, startAttackStack, submitBody, tally, waitFor } from './support';

const BOUND = 5;
const SUBMITS = 12;
/** Agents of this file's own (the usual tokens under new ids): earlier files left requests waiting for theirs. */
const AGENT = `burst-agent-${randomBytes(3).toString('hex')}`;
const OTHER_AGENT = `other-${AGENT}`;

let stack: AttackStack;

before(async () => {
  stack = await startAttackStack(READS_ALLOWED_POLICY, {
    env: { MAX_WAITING_PER_AGENT: String(BOUND) },
    principals: PRINCIPALS.replace('id: billing-agent,', `id: ${AGENT},`).replace(
      'id: other-agent,',
      `id: ${OTHER_AGENT},`,
    ),
  });
  await stack.target.query(
    'CREATE TABLE IF NOT EXISTS chores (id int PRIMARY KEY, done boolean NOT NULL DEFAULT false)',
  );
});

after(() => stack?.stop());

const write = (n: number) => submitBody(`UPDATE chores SET done = true WHERE id = ${n}`, `chore ${n}`);

async function waitingOf(agent: string): Promise<number> {
  const { rows } = await stack.admin.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM requests WHERE agent = $1 AND status IN ('evaluating', 'pending_approval')",
    [agent],
  );
  return rows[0]!.n;
}

test('an agent holds at most MAX_WAITING_PER_AGENT requests for reviewers, however fast it submits', async () => {
  const answers = await Promise.all(
    Array.from({ length: SUBMITS }, (_, n) =>
      send(stack.baseUrl, 'POST', '/v1/requests', 'agent', write(n), { 'idempotency-key': `chore-${n}` }),
    ),
  );
  const accepted = answers.filter((answer) => answer.status === 202);
  const refused = answers.filter((answer) => answer.status === 429);
  const beyond = SUBMITS - BOUND;
  tally("requests held for reviewers beyond an agent's bound", beyond, Math.max(0, accepted.length - BOUND));
  assert.equal(accepted.length, BOUND, answers.map((answer) => answer.status).join(' '));
  assert.equal(refused.length, beyond);
  for (const answer of refused) {
    assert.equal(answer.json<{ error: string }>().error, 'too_many_waiting');
    assert.match(
      answer.json<{ message: string }>().message,
      new RegExp(`${AGENT} has 5 requests waiting .*MAX_WAITING_PER_AGENT`),
    );
  }
  assert.equal(await waitingOf(AGENT), BOUND, 'nothing recorded for the refused submits');
  for (const answer of accepted) await waitFor(stack, answer.json<{ id: string }>().id, ['pending_approval']);

  // The controls. A retry of a recorded submit is answered with its request, not refused.
  const retried = await Promise.all(
    Array.from({ length: SUBMITS }, (_, n) =>
      send(stack.baseUrl, 'POST', '/v1/requests', 'agent', write(n), { 'idempotency-key': `chore-${n}` }),
    ),
  );
  assert.equal(retried.filter((answer) => answer.status === 200).length, BOUND);
  // A read policy allows runs; another agent's write waits as usual.
  const read = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody('SELECT 1 AS one'));
  assert.equal(read.status, 202, read.text);
  assert.equal((await waitFor(stack, read.json<{ id: string }>().id, ['succeeded'])).status, 'succeeded');
  const other = await send(stack.baseUrl, 'POST', '/v1/requests', 'otherAgent', write(100));
  assert.equal(other.status, 202, other.text);

  // A decision frees a place: the next write is held again.
  const rejected = await send(
    stack.baseUrl,
    'POST',
    `/v1/requests/${accepted[0]!.json<{ id: string }>().id}/reject`,
    'alice',
    { comment: 'one at a time' },
  );
  assert.equal(rejected.status, 200, rejected.text);
  const next = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', write(200));
  assert.equal(next.status, 202, next.text);
  const full = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', write(201));
  assert.equal(full.status, 429, full.text);
});

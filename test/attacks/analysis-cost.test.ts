// Class 45: one agent keeps the API's thread busy with commands that are costly to read. A MySQL
// batch near the body limit takes most of a second to parse, and `POST /v1/policy/explain` had no
// limit at all: an agent could ask about a new batch as fast as answers came back, and every other
// caller waited behind it. The analysis budget (ADR 038) charges each call's parse and policy time
// to its principal's bucket; while the bucket is above its burst, its calls are refused before any
// parse. The bucket drains at 60 ms a minute here, so slowly that it stays full through the test.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  type AttackStack,
  ALL_NEED_APPROVAL_POLICY,
  type Who,
  POSTGRES_AND_MYSQL_TARGETS,
  send,
  startAttackStack,
  tally,
} from './support';

const RATE_MS = 60;

let stack: AttackStack;
before(async () => {
  stack = await startAttackStack(ALL_NEED_APPROVAL_POLICY, {
    targets: POSTGRES_AND_MYSQL_TARGETS,
    env: { ANALYSIS_RATE_LIMIT_MS: String(RATE_MS), ANALYSIS_BURST_MS: '1500' },
  });
});
after(() => stack?.stop());

/**
 * A MySQL batch of about 60 kB, new each time (the gate keeps analyses it has made, so the
 * attacker changes a character): 30,000 select items, most of a second to parse. `unreadable`
 * ends it with a syntax error, which the parser finds only at the end.
 */
function costlyBatch(unreadable = false): { connector: string; target: string; command: { sql: string } } {
  const sql = `SELECT ${randomBytes(4).readUInt32BE()}${',1'.repeat(30_000)}${unreadable ? ' FROM WHERE' : ''}`;
  return { connector: 'mysql', target: 'shop-db', command: { sql } };
}

/** Calls until the first 429 (at most `max` calls), then `more` calls after it; every status in order. */
async function untilRefused(call: () => Promise<number>, max: number, more: number): Promise<number[]> {
  const statuses: number[] = [];
  while (statuses.length < max && !statuses.includes(429)) statuses.push(await call());
  for (let i = 0; i < more; i++) statuses.push(await call());
  return statuses;
}

const explain = (who: Who, unreadable = false) =>
  send(stack.baseUrl, 'POST', '/v1/policy/explain', who, costlyBatch(unreadable));

test("an agent's costly explains are analysed until its bucket is full, then refused before any parse", async () => {
  const statuses = await untilRefused(async () => (await explain('agent')).status, 40, 6);
  const firstRefusal = statuses.indexOf(429);
  assert.ok(firstRefusal >= 1, `some explains were answered first: ${statuses.join(' ')}`);
  assert.ok(
    statuses.slice(0, firstRefusal).every((status) => status === 200),
    `answered until spent: ${statuses.join(' ')}`,
  );
  const afterSpent = statuses.slice(firstRefusal);

  const refused = await explain('agent');
  assert.equal(refused.status, 429);
  assert.match(String(refused.headers['retry-after']), /^\d+$/);
  const body = refused.json<{ error: string; message: string }>();
  assert.equal(body.error, 'rate_limited');
  assert.match(body.message, new RegExp(`analysis budget spent: billing-agent may use ${RATE_MS} ms a minute`));

  // Submitting is judged by the same budget: refused, and nothing is recorded.
  const label = `costly submit ${randomBytes(3).toString('hex')}`;
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', { ...costlyBatch(), reason: label });
  assert.equal(submitted.status, 429);
  const recorded = await stack.admin.query('SELECT 1 FROM requests WHERE reason = $1', [label]);
  assert.equal(recorded.rowCount, 0, 'the refused submit recorded nothing');

  // Reads are not charged, and another agent has a budget of its own.
  assert.equal((await send(stack.baseUrl, 'GET', '/v1/requests?limit=1', 'agent')).status, 200);
  assert.equal((await explain('otherAgent')).status, 200);

  const analysedAfterSpent = [...afterSpent, refused.status, submitted.status].filter((status) => status !== 429);
  tally('costly analyses after the budget was spent', afterSpent.length + 2, analysedAfterSpent.length);
  assert.equal(analysedAfterSpent.length, 0);
});

test('commands that fail to parse are charged too: a flood of unreadable batches is refused the same way', async () => {
  const submitUnreadable = async () =>
    (await send(stack.baseUrl, 'POST', '/v1/requests', 'erin', { ...costlyBatch(true), reason: 'unreadable' })).status;
  const statuses = await untilRefused(submitUnreadable, 40, 4);
  const firstRefusal = statuses.indexOf(429);
  assert.ok(firstRefusal >= 1, `some were read (and refused as unreadable) first: ${statuses.join(' ')}`);
  assert.ok(
    statuses.slice(0, firstRefusal).every((status) => status === 400),
    `unreadable until spent: ${statuses.join(' ')}`,
  );
  const afterSpent = statuses.slice(firstRefusal);
  tally(
    'unreadable batches parsed after the budget was spent',
    afterSpent.length,
    afterSpent.filter((status) => status !== 429).length,
  );
  assert.deepEqual(afterSpent, [429, 429, 429, 429, 429]);
});

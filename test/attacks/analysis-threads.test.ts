// Class 45 (continued): a costly command, even within its agent's budget, no longer holds up
// everyone else, nor runs without end. A large command is read and judged on an analysis thread
// (ADR 041): another caller's read is answered while it runs, and an analysis that runs past
// ANALYSIS_TIMEOUT_MS is stopped, its thread replaced, and the command refused. The policy here
// has a rule an operator could write that costs the cube of what the agent names, and the longest
// evaluationTimeout there is, so that the thread's limit is what stops it (policy-cost.test.ts
// attacks the policy's own limit).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type AttackStack, POSTGRES_AND_MYSQL_TARGETS, send, startAttackStack, tally } from './support';

const POLICY = `version: 1
evaluationTimeout: 60s
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: cross-named-columns
    when: sql.columns.exists(c, sql.tables.exists(t, sql.columns.exists(d, c + d == t)))
    effect: deny
`;

let stack: AttackStack;
before(async () => {
  stack = await startAttackStack(POLICY, {
    targets: POSTGRES_AND_MYSQL_TARGETS,
    env: { ANALYSIS_TIMEOUT_MS: '4000', ANALYSIS_RATE_LIMIT_MS: '600000', ANALYSIS_BURST_MS: '600000' },
  });
});
after(() => stack?.stop());

/** A new 60 kB MySQL batch: most of a second to parse. */
const costlyBatch = () => ({
  connector: 'mysql',
  target: 'shop-db',
  command: { sql: `SELECT ${randomBytes(4).readUInt32BE()}${',1'.repeat(30_000)}` },
});

/** 600 columns and 600 tables: seven kilobytes the rule above walks 216 million times. */
function cubicQuestion() {
  const names = (prefix: string) => Array.from({ length: 600 }, (_, i) => `${prefix}${i}`).join(', ');
  return { connector: 'postgres', target: 'app-db', command: { sql: `SELECT ${names('c')} FROM ${names('t')}` } };
}

test("another caller's read is answered while a costly command is read", async () => {
  const finished: string[] = [];
  const costly = send(stack.baseUrl, 'POST', '/v1/policy/explain', 'agent', costlyBatch()).then((answer) => {
    finished.push('costly explain');
    return answer;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const read = await send(stack.baseUrl, 'GET', '/v1/requests?limit=1', 'otherAgent');
  finished.push('read');
  assert.equal(read.status, 200);
  assert.equal((await costly).status, 200);
  // On the API's own thread the read waited for the parse, and was answered after it.
  assert.deepEqual(finished, ['read', 'costly explain']);
});

test('an analysis that runs past ANALYSIS_TIMEOUT_MS is stopped and refused; the next one runs', async () => {
  const refused = await send(stack.baseUrl, 'POST', '/v1/policy/explain', 'sam', cubicQuestion());
  assert.equal(refused.status, 422, refused.text);
  const body = refused.json<{ error: string; message: string }>();
  assert.equal(body.error, 'command_too_costly');
  assert.match(body.message, /stopped reading and judging this command after 4000 ms/);
  // The stopped thread was replaced: a large command is read again, and the API still answers.
  const again = await send(stack.baseUrl, 'POST', '/v1/policy/explain', 'sam', costlyBatch());
  assert.equal(again.status, 200, again.text);
  assert.equal((await send(stack.baseUrl, 'GET', '/healthz', null)).status, 200);
  tally('analyses that ran past their time limit', 1, refused.status === 422 ? 0 : 1);
});

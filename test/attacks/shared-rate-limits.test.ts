// Class 4 (continued): behind a load balancer, a flood spread over the API replicas. With
// RATE_LIMIT_STORE=postgres the replicas count together, so two replicas allow the limit once,
// not twice; the in-memory store (the default, one process) is shown allowing it per replica.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { countHit, deleteEndedWindows } from '../../store/rate-limit-windows';
import { call, submitBody } from '../support/api';
import { type TestStack, startTestStack } from '../support/stack';
import { ALL_NEED_APPROVAL_POLICY, tally } from './support';

const ANALYSIS_BURST_MS = 300;
const LIMITS = {
  SUBMIT_RATE_LIMIT: '4',
  // A bucket that drains 60 ms a minute stays full through the test.
  ANALYSIS_RATE_LIMIT_MS: '60',
  ANALYSIS_BURST_MS: String(ANALYSIS_BURST_MS),
  SESSION_SECRET: 'inbox-session-secret-for-tests-0123456789',
};

/** Two API replicas on one database, as behind a load balancer. */
let shared: [TestStack, TestStack];
let apart: [TestStack, TestStack];
before(async () => {
  const replica = (store: string) =>
    startTestStack(ALL_NEED_APPROVAL_POLICY, { env: { ...LIMITS, RATE_LIMIT_STORE: store } });
  shared = [await replica('postgres'), await replica('postgres')];
  apart = [await replica('memory'), await replica('memory')];
});
after(async () => {
  for (const stack of [...(shared ?? []), ...(apart ?? [])]) await stack?.stop();
});

/** `count` submits by the agent, taking turns between the two replicas; the statuses in order. */
async function floodSubmits(replicas: [TestStack, TestStack], count: number, label: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let attempt = 0; attempt < count; attempt++) {
    const answer = await call(
      replicas[attempt % 2]!.app,
      'POST',
      '/v1/requests',
      'agent',
      submitBody('SELECT 1', `${label} ${attempt}`),
    );
    statuses.push(answer.status);
  }
  return statuses;
}

test('with RATE_LIMIT_STORE=postgres, submits spread over two replicas meet one limit', async () => {
  const label = `shared flood ${randomBytes(3).toString('hex')}`;
  const statuses = await floodSubmits(shared, 8, label);
  assert.deepEqual(statuses, [202, 202, 202, 202, 429, 429, 429, 429]);
  const recorded = await shared[0].pool.query('SELECT 1 FROM requests WHERE reason LIKE $1', [`${label} %`]);
  assert.equal(recorded.rowCount, 4, 'the refused submits recorded nothing');
  // Another agent has a budget of its own on both replicas.
  assert.equal(
    (await call(shared[1].app, 'POST', '/v1/requests', 'otherAgent', submitBody('SELECT 1', 'other'))).status,
    202,
  );
  tally('submits past a shared limit over two replicas', 4, statuses.slice(4).filter((s) => s !== 429).length);
});

test('the in-memory store counts per replica: two replicas allow the limit twice', async () => {
  const statuses = await floodSubmits(apart, 10, `apart flood ${randomBytes(3).toString('hex')}`);
  assert.deepEqual(statuses, [...Array(8).fill(202), 429, 429]);
});

/** A new PostgreSQL statement of about 60 kB, tens of milliseconds to parse, for `POST /v1/policy/explain`. */
const costlyQuestion = () => ({
  connector: 'postgres',
  target: 'app-db',
  command: { sql: `SELECT ${randomBytes(4).readUInt32BE()}${',1'.repeat(30_000)}` },
});

test('the analysis budget is shared: once one replica fills the bucket, the other refuses after its next charge', async () => {
  const explain = (replica: TestStack) => call(replica.app, 'POST', '/v1/policy/explain', 'alice', costlyQuestion());
  const onFirst: number[] = [];
  while (onFirst.length < 100 && !onFirst.includes(429)) onFirst.push((await explain(shared[0])).status);
  assert.equal(onFirst.at(-1), 429, `the first replica filled alice's bucket: ${onFirst.join(' ')}`);
  // The replica charges the shared bucket in the background, so its last charge may still be on
  // its way to PostgreSQL when the refusal comes back: wait for it (a second at most).
  const sharedLevel = async () =>
    (
      await shared[0].pool.query<{ level_ms: number }>(
        "SELECT level_ms FROM analysis_buckets WHERE principal = 'alice'",
      )
    ).rows[0]!.level_ms;
  let charged = await sharedLevel();
  for (let wait = 0; wait < 50 && charged <= ANALYSIS_BURST_MS; wait++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    charged = await sharedLevel();
  }
  assert.ok(charged > ANALYSIS_BURST_MS, `charged past the burst: ${charged} ms`);
  // The second replica has charged nothing yet: its first call runs, and the answer to its charge
  // (in the background, a query away: wait until it has landed) tells it the shared level.
  const first = (await explain(shared[1])).status;
  for (let wait = 0; wait < 50 && (await sharedLevel()) <= charged; wait++)
    await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const onSecond = [first, (await explain(shared[1])).status];
  assert.deepEqual(onSecond, [200, 429]);
  // With the in-memory store each replica charges apart.
  assert.equal((await explain(apart[1])).status, 200);
  tally('analyses past a shared budget over two replicas', 2, onSecond.filter((status) => status !== 429).length - 1);
});

test("the inbox's sign-in limit is shared too, per caller address", async () => {
  const signIn = (stack: TestStack, remoteAddress: string) =>
    stack.app.inject({
      method: 'POST',
      url: '/inbox/sign-in',
      remoteAddress,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=nobody-has-this-token',
    });
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 12; attempt++)
    statuses.push((await signIn(shared[attempt % 2]!, '192.0.2.44')).statusCode);
  assert.deepEqual(statuses, [...Array(10).fill(401), 429, 429]);
  assert.equal((await signIn(shared[0], '192.0.2.45')).statusCode, 401, 'another address is not limited');
  tally('sign-ins past a shared limit over two replicas', 2, statuses.slice(10).filter((s) => s !== 429).length);
});

test('windows that ended are swept, and a count restarts once its window ends', async () => {
  const key = `test-window-${randomBytes(3).toString('hex')}`;
  assert.equal((await countHit(shared[0].pool, key, 200)).current, 1);
  assert.equal((await countHit(shared[0].pool, key, 200)).current, 2);
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.ok((await deleteEndedWindows(shared[0].pool)) >= 1);
  const restarted = await countHit(shared[0].pool, key, 200);
  assert.equal(restarted.current, 1);
  assert.ok(restarted.ttl > 0 && restarted.ttl <= 200, `ttl ${restarted.ttl}`);
});

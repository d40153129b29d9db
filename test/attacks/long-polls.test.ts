// Class 47: idle connections that cost the database. A long-poll (`GET /v1/requests/:id?wait=60`)
// read its request again every second, in case a notification was missed: one call was sixty
// reads, and one agent holding a thousand long-polls made the API read the gate's database about a
// thousand times a second (975 transactions/s measured), while another agent's submits took up to
// 1.7 s. Nor was the number of long-polls bounded. Now a long-poll reads when it starts, when
// its request changes and when it ends (a LISTEN session that is replaced wakes every watcher
// instead), and one principal holds at most LONG_POLLS_PER_PRINCIPAL at once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  type AttackStack,
  ALL_NEED_APPROVAL_POLICY,
  countQueries,
  send,
  startAttackStack,
  submitPending,
  tally,
} from './support';

const HELD = 200;
const SLOTS = 250;

let stack: AttackStack;
before(async () => {
  stack = await startAttackStack(ALL_NEED_APPROVAL_POLICY, { env: { LONG_POLLS_PER_PRINCIPAL: String(SLOTS) } });
});
after(() => stack?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The API's reads of requests with their votes (store/requests.ts, getRequests). */
const REQUEST_READS = /FROM requests\s+LEFT JOIN LATERAL/;

test('a held long-poll reads its request when it starts and when it changes, not every second', async () => {
  const id = await submitPending(stack, 'SELECT 1', 'watched by many');
  const counter = countQueries(stack.pool, REQUEST_READS);
  try {
    const started = Date.now();
    const polls = Array.from({ length: HELD }, () => send(stack.baseUrl, 'GET', `/v1/requests/${id}?wait=40`, 'agent'));
    await sleep(10_000);
    const heldReads = counter.count();
    console.log(`${HELD} long-polls held for 10 s: ${heldReads} reads of their request`);
    // One read each when they start; reading every second, it was about ten each.
    assert.ok(heldReads <= HELD + 10, `${heldReads} reads for ${HELD} long-polls in 10 s`);

    const approved = await send(stack.baseUrl, 'POST', `/v1/requests/${id}/approve`, 'alice', {});
    assert.equal(approved.status, 200, approved.text);
    const answers = await Promise.all(polls);
    const tookMs = Date.now() - started;
    assert.ok(
      answers.every((answer) => answer.status === 200 && answer.json<{ status: string }>().status === 'succeeded'),
    );
    assert.ok(tookMs < 30_000, `woken by the change (${tookMs} ms), not by their 40 s wait`);
  } finally {
    counter.stop();
  }
});

test('one principal holds at most LONG_POLLS_PER_PRINCIPAL long-polls: the next is refused at once, others are not', async () => {
  const id = await submitPending(stack, 'SELECT 2', 'held to the bound');
  const held = Array.from({ length: SLOTS }, () => send(stack.baseUrl, 'GET', `/v1/requests/${id}?wait=6`, 'agent'));
  await sleep(2_000);
  const beyond = await send(stack.baseUrl, 'GET', `/v1/requests/${id}?wait=6`, 'agent');
  assert.equal(beyond.status, 429, beyond.text);
  assert.equal(beyond.headers['retry-after'], '1');
  assert.match(beyond.json<{ message: string }>().message, /billing-agent holds 250 long-polls already/);
  // A read without waiting is not a long-poll, and another principal has slots of its own.
  assert.equal((await send(stack.baseUrl, 'GET', `/v1/requests/${id}`, 'agent')).status, 200);
  assert.equal((await send(stack.baseUrl, 'GET', `/v1/requests/${id}?wait=1`, 'alice')).status, 200);
  const answers = await Promise.all(held);
  assert.ok(answers.every((answer) => answer.status === 200));
  // Every slot is given back: the agent long-polls again.
  assert.equal((await send(stack.baseUrl, 'GET', `/v1/requests/${id}?wait=1`, 'agent')).status, 200);
  tally('long-polls past the per-principal bound', 1, beyond.status === 429 ? 0 : 1);
});

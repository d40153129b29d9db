// The analysis budget's accounting, as pure logic: a simulated clock for the bucket's drain, and
// analyses that report the time they took (simulated analyses). The API's routes, the analysis
// threads and the shared bucket in PostgreSQL are tried with a real stack in
// test/attacks/analysis-cost.test.ts and test/attacks/shared-rate-limits.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analysisBudget } from '../../api/analysis-budget';
import type { Analysed } from '../../api/command-analysis';
import { HttpError } from '../../api/http-error';

/** A clock the test moves. */
function simulatedClock() {
  let at = 1_000_000;
  return { now: () => at, advance: (ms: number) => (at += ms) };
}

/** A simulated analysis that answered `value` after keeping a thread busy for `tookMs`. */
const took =
  <T>(tookMs: number, value: T) =>
  async (): Promise<Analysed<T>> => ({ ok: true, value, tookMs });

async function refusal(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => assert.fail('expected a refusal'),
    (error: unknown) => error,
  );
  assert.ok(error instanceof HttpError);
  return error;
}

test('a principal whose bucket is above its burst is refused until it drains, with Retry-After (simulated clock and analyses)', async () => {
  const clock = simulatedClock();
  const spent: [string, number][] = [];
  // Drains 0.1 ms a millisecond; refuses above 40 ms.
  const budget = analysisBudget({
    msPerMinute: 6_000,
    burstMs: 40,
    now: clock.now,
    onSpent: (principal, levelMs) => spent.push([principal, levelMs]),
  });
  assert.equal(await budget.spend('agent', took(25, 'first')), 'first');
  assert.equal(await budget.spend('agent', took(25, 'second')), 'second', 'not above its burst before this call');
  let ran = false;
  const refused = await refusal(budget.spend('agent', async () => ((ran = true), { ok: true, value: 1, tookMs: 0 })));
  assert.equal(ran, false, 'a refused call is not analysed');
  assert.equal(refused.statusCode, 429);
  assert.equal(refused.code, 'rate_limited');
  assert.match(refused.message, /agent may use 6000 ms a minute/);
  assert.deepEqual(spent, [['agent', 50]], 'told once, with the level');
  // 10 ms above the burst at 0.1 ms a millisecond: 100 ms, said as a whole second.
  assert.equal(refused.headers['retry-after'], '1');

  assert.equal(await budget.spend('other', took(1, 'own')), 'own', 'another principal is not limited');
  clock.advance(99);
  assert.equal((await refusal(budget.spend('agent', took(1, 'early')))).statusCode, 429, 'not drained yet');
  clock.advance(1);
  assert.equal(await budget.spend('agent', took(1, 'again')), 'again', 'drained to its burst');
});

test("an analysis's refusal is charged too, and thrown as the API's error (simulated clock and analyses)", async () => {
  const clock = simulatedClock();
  const budget = analysisBudget({ msPerMinute: 6_000, burstMs: 20, now: clock.now });
  const unreadable = async (): Promise<Analysed<never>> => ({
    ok: false,
    tookMs: 30,
    refusal: { statusCode: 400, code: 'invalid_sql', message: 'the SQL could not be read' },
  });
  const thrown = await refusal(budget.spend('agent', unreadable));
  assert.equal(thrown.statusCode, 400);
  assert.equal(thrown.code, 'invalid_sql');
  assert.equal((await refusal(budget.spend('agent', took(1, 'next')))).statusCode, 429);
});

test("a principal's calls are analysed one at a time, each against what the earlier ones spent (simulated analyses)", async () => {
  const budget = analysisBudget({ msPerMinute: 6_000, burstMs: 40, now: simulatedClock().now });
  let running = 0;
  let most = 0;
  const slow = (tookMs: number) => async (): Promise<Analysed<string>> => {
    running += 1;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, 20));
    running -= 1;
    return { ok: true, value: 'read', tookMs };
  };
  // Sent together, as an agent's concurrent calls arrive: the third finds the bucket full.
  const answers = await Promise.allSettled([
    budget.spend('agent', slow(30)),
    budget.spend('agent', slow(30)),
    budget.spend('agent', slow(30)),
  ]);
  assert.equal(most, 1, 'never two at once');
  assert.deepEqual(
    answers.map((answer) => answer.status),
    ['fulfilled', 'fulfilled', 'rejected'],
  );
  // Another principal's calls do not wait for these.
  const other = analysisBudget({ msPerMinute: 6_000, burstMs: 40, now: simulatedClock().now });
  running = 0;
  most = 0;
  await Promise.all([other.spend('a', slow(1)), other.spend('b', slow(1))]);
  assert.equal(most, 2);
});

test('at most 16 of one principal’s calls wait for their turn; the next is refused at once (simulated analyses)', async () => {
  const budget = analysisBudget({ msPerMinute: 6_000, burstMs: 1_000_000, now: simulatedClock().now });
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const first = budget.spend('agent', async () => (await held, { ok: true, value: 0, tookMs: 1 }));
  const queued = Array.from({ length: 15 }, () => budget.spend('agent', took(1, 1)));
  const beyond = await refusal(budget.spend('agent', took(1, 1)));
  assert.equal(beyond.statusCode, 429);
  assert.match(beyond.message, /agent has 16 commands waiting to be read already/);
  release();
  await Promise.all([first, ...queued]);
  assert.equal(await budget.spend('agent', took(1, 'after')), 'after', 'the turns were given back');
});

test('a replica refuses once the shared bucket says the others filled it (shared bucket simulated)', async () => {
  const clock = simulatedClock();
  const charged: [string, number, number][] = [];
  const budget = analysisBudget({
    msPerMinute: 6_000,
    burstMs: 1_000,
    now: clock.now,
    // As PostgreSQL would answer after another replica charged 3 s.
    shared: async (principal, tookMs, drainPerMs) => {
      charged.push([principal, tookMs, drainPerMs]);
      return 3_000 + tookMs;
    },
  });
  assert.equal(await budget.spend('agent', took(2, 'read')), 'read', 'this replica did not know yet');
  assert.deepEqual(charged, [['agent', 2, 0.1]], 'charged what it took, drained at 6,000 ms a minute');
  const refused = await refusal(budget.spend('agent', took(1, 'next')));
  // 2,002 ms above the burst at 0.1 ms a millisecond: 20.02 s.
  assert.equal(refused.headers['retry-after'], '21');
});

// The analysis budget's accounting, as pure logic: a simulated clock for the window's end, and
// analyses that keep the thread busy for a known least time. The API's routes and the shared
// window in PostgreSQL are tried with a real stack in test/attacks/analysis-cost.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analysisBudget } from '../../api/analysis-budget';
import { HttpError } from '../../api/http-error';

/** Keeps the thread busy for at least `ms`, as a costly parse would. */
function busyFor(ms: number): string {
  const until = performance.now() + ms;
  while (performance.now() < until);
  return 'analysed';
}

/** A clock the test moves (simulated time for the window's end; the analyses' time is real). */
function simulatedClock() {
  let at = 1_000_000;
  return { now: () => at, advance: (ms: number) => (at += ms) };
}

async function refusal(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => assert.fail('expected a refusal'),
    (error: unknown) => error,
  );
  assert.ok(error instanceof HttpError);
  return error;
}

test('a principal whose bucket is above its burst is refused until it drains, with Retry-After (simulated clock)', async () => {
  const clock = simulatedClock();
  const spent: [string, number][] = [];
  // Drains 0.1 ms a millisecond; refuses above 40 ms.
  const budget = analysisBudget({
    msPerMinute: 6_000,
    burstMs: 40,
    now: clock.now,
    onSpent: (principal, levelMs) => spent.push([principal, levelMs]),
  });
  assert.equal(await budget.spend('agent', () => busyFor(25)), 'analysed');
  assert.equal(await budget.spend('agent', () => busyFor(25)), 'analysed', 'not above its burst before this call');
  let ran = false;
  const refused = await refusal(budget.spend('agent', () => (ran = true)));
  assert.equal(ran, false, 'a refused call is not analysed');
  assert.equal(refused.statusCode, 429);
  assert.equal(refused.code, 'rate_limited');
  assert.match(refused.message, /agent may use 6000 ms a minute/);
  assert.equal(spent.length, 1, 'told once');
  assert.ok(spent[0]![1] >= 50, `both calls were charged (${spent[0]![1]} ms)`);
  const retryAfterSeconds = Number(refused.headers['retry-after']);
  assert.ok(retryAfterSeconds >= 1);

  assert.equal(await budget.spend('other', () => 'own budget'), 'own budget', 'another principal is not limited');
  clock.advance(retryAfterSeconds * 1000 - 1_000);
  assert.equal((await refusal(budget.spend('agent', () => 'early'))).statusCode, 429, 'a second early is too early');
  clock.advance(1_000);
  assert.equal(await budget.spend('agent', () => 'again'), 'again', 'drained to its burst after Retry-After');
});

test('an analysis that throws is charged too (simulated clock)', async () => {
  const clock = simulatedClock();
  const budget = analysisBudget({ msPerMinute: 6_000, burstMs: 20, now: clock.now });
  const unreadable = new HttpError(400, 'invalid_sql', 'the SQL could not be read');
  await assert.rejects(
    budget.spend('agent', () => {
      busyFor(30);
      throw unreadable;
    }),
    (error) => error === unreadable,
  );
  assert.equal((await refusal(budget.spend('agent', () => 'next'))).statusCode, 429);
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
  assert.equal(await budget.spend('agent', () => busyFor(2)), 'analysed', 'this replica did not know yet');
  assert.equal(charged.length, 1);
  assert.equal(charged[0]![0], 'agent');
  assert.ok(charged[0]![1] >= 2, `charged what it took (${charged[0]![1]} ms)`);
  assert.equal(charged[0]![2], 0.1, 'drained at 6,000 ms a minute');
  const refused = await refusal(budget.spend('agent', () => 'next'));
  // 2,000 ms above the burst at 0.1 ms a millisecond: 20 s.
  assert.equal(refused.headers['retry-after'], '21');
});

// The bare-engine baseline the benchmarks compare the gate with: the least a Temporal
// application can do per request.
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { baselineActivities } from './baseline-activities';

const { noop, startedAt } = proxyActivities<typeof baselineActivities>({ startToCloseTimeout: '1m' });

export const goSignal = defineSignal('go');

/** One no-op activity: the engine's round trip per request. */
export async function oneActivity(): Promise<void> {
  await noop();
}

/** Runs one activity, then waits for `go` for up to an hour: a request held for reviewers, bare. */
export async function activityThenWait(): Promise<void> {
  let go = false;
  setHandler(goSignal, () => void (go = true));
  await noop();
  await condition(() => go, '1h');
}

/** Waits for `go`, then runs one activity and returns when that activity started (ms epoch). */
export async function signalThenActivity(): Promise<number> {
  let go = false;
  setHandler(goSignal, () => void (go = true));
  await condition(() => go);
  return startedAt();
}

